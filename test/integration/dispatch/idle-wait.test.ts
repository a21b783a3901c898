import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import { systemClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger } from '../../../src/log.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeCampaign, makeMessage } from '../../support/builders.js';
import { useTestStore } from '../../support/db.js';
import {
  makeSimulatedTransport,
  tempDir,
  testDispatcherSettings,
  waitFor,
} from '../../support/sending.js';

/** How long finding the next due time takes here, as on a slow or busy server. */
const SLOW_LOOKUP_MS = 400;

const ctx = useTestStore('idle_wait');
const dir = tempDir('idle-wait');
let transport: SimulatedTransport;
let dispatcher: Dispatcher;

afterAll(() => dir.remove());

beforeEach(async () => {
  transport = makeSimulatedTransport(dir.path, { outboxPath: `${dir.path}/${Date.now()}.jsonl` });
  await transport.start();
  const nextDueAt = ctx.store.messages.nextDueAt.bind(ctx.store.messages);
  ctx.store.messages.nextDueAt = async () => {
    const due = await nextDueAt();
    await new Promise((resolve) => setTimeout(resolve, SLOW_LOOKUP_MS));
    return due;
  };
  dispatcher = new Dispatcher({
    store: ctx.store,
    transport,
    events: new AppEvents(),
    log: silentLogger,
    clock: systemClock,
    settings: testDispatcherSettings({ maxIdleSleepMs: 5_000 }),
  });
});

afterEach(async () => {
  await dispatcher.stop();
  await transport.stop();
  delete (ctx.store.messages as { nextDueAt?: unknown }).nextDueAt;
});

describe('Dispatcher waiting for the next due message', () => {
  it('sends it at its due time even when finding that time took a while', async () => {
    const campaign = await ctx.store.campaigns.create(makeCampaign({ status: 'running' }));
    const dueAt = Date.now() + 2 * SLOW_LOOKUP_MS;
    await ctx.store.messages.insertOne(
      makeMessage({ campaignId: campaign._id, notBefore: new Date(dueAt) }),
    );

    await dispatcher.start();
    await waitFor(async () => (await transport.readOutbox()).length === 1);

    const [line] = await transport.readOutbox();
    expect(Date.parse(line!.at) - dueAt).toBeGreaterThanOrEqual(0);
    expect(Date.parse(line!.at) - dueAt).toBeLessThan(SLOW_LOOKUP_MS / 2);
  });
});
