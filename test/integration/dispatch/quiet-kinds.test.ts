import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import { systemClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger } from '../../../src/log.js';
import type { MessageKind } from '../../../src/store/messages.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeCampaign, makeMessage } from '../../support/builders.js';
import { useTestStore } from '../../support/db.js';
import {
  makeSimulatedTransport,
  tempDir,
  testDispatcherSettings,
  waitFor,
} from '../../support/sending.js';

const ctx = useTestStore('quiet_kinds');
const dir = tempDir('quiet-kinds');
let transport: SimulatedTransport;
let dispatcher: Dispatcher;
/** The `kinds` argument of every claim, in order (undefined: every kind). */
let claims: (readonly MessageKind[] | undefined)[];

afterAll(() => dir.remove());

beforeEach(async () => {
  await ctx.store.messages.model.deleteMany({});
  await ctx.store.attempts.model.deleteMany({});
  await ctx.store.campaigns.model.deleteMany({});
  transport = makeSimulatedTransport(dir.path, { outboxPath: `${dir.path}/${Date.now()}.jsonl` });
  await transport.start();
  claims = [];
  const claimNext = ctx.store.messages.claimNext.bind(ctx.store.messages);
  ctx.store.messages.claimNext = (owner, now, leaseMs, kinds) => {
    claims.push(kinds);
    return claimNext(owner, now, leaseMs, kinds);
  };
  dispatcher = new Dispatcher({
    store: ctx.store,
    transport,
    events: new AppEvents(),
    log: silentLogger,
    clock: systemClock,
    settings: testDispatcherSettings(),
  });
});

afterEach(async () => {
  await dispatcher.stop();
  await transport.stop();
  delete (ctx.store.messages as { claimNext?: unknown }).claimNext;
});

async function campaignWith(count: number, gapSeconds = 0) {
  const campaign = await ctx.store.campaigns.create(
    makeCampaign({ status: 'running', minDelaySeconds: gapSeconds, maxDelaySeconds: gapSeconds }),
  );
  const messages = Array.from({ length: count }, (_, i) =>
    makeMessage({ campaignId: campaign._id, content: `c${i}` }),
  );
  await ctx.store.messages.insertMany(messages);
}

function sequenceMessage(content: string) {
  const dedupeKey = `step:${content}`;
  return makeMessage({ kind: 'sequence', campaignId: undefined, dedupeKey, content });
}

async function outboxTexts(): Promise<string[]> {
  return (await transport.readOutbox()).map((line) => line.text);
}

describe('Dispatcher claims while only campaign messages are due', () => {
  it('does not ask for system and sequence messages before every campaign message', async () => {
    await campaignWith(30);

    await dispatcher.start();
    await waitFor(async () => (await transport.readOutbox()).length === 30);

    const everyKind = claims.filter((kinds) => kinds === undefined).length;
    expect(everyKind).toBeLessThanOrEqual(5);
    expect(claims.filter((kinds) => kinds?.join() === 'campaign').length).toBeGreaterThan(20);
  });

  it('keeps not asking for them when campaign messages fall due one at a time', async () => {
    const campaign = await ctx.store.campaigns.create(makeCampaign({ status: 'running' }));
    const start = Date.now() + 200;
    const messages = Array.from({ length: 8 }, (_, i) =>
      makeMessage({ campaignId: campaign._id, notBefore: new Date(start + i * 150) }),
    );
    await ctx.store.messages.insertMany(messages);

    await dispatcher.start();
    await waitFor(async () => (await transport.readOutbox()).length === 8);

    expect(claims.filter((kinds) => kinds === undefined).length).toBeLessThanOrEqual(2);
  });

  it('sends a sequence message next when its producer wakes the dispatcher', async () => {
    await campaignWith(40, 0.05);

    await dispatcher.start();
    await waitFor(async () => (await transport.readOutbox()).length >= 5);
    await ctx.store.messages.insertOne(sequenceMessage('step'));
    dispatcher.wake();
    await waitFor(async () => (await outboxTexts()).includes('step'));

    const texts = await outboxTexts();
    const sentBefore = texts.indexOf('step');
    expect(sentBefore).toBeLessThanOrEqual(7);
    await waitFor(async () => (await transport.readOutbox()).length === 41);
  });

  it('still sends a sequence message inserted without a wake within a few seconds', async () => {
    await campaignWith(80, 0.05);

    await dispatcher.start();
    await waitFor(async () => (await transport.readOutbox()).length >= 5);
    const insertedAt = Date.now();
    await ctx.store.messages.insertOne(sequenceMessage('quiet step'));
    await waitFor(async () => (await outboxTexts()).includes('quiet step'), 10_000);

    const line = (await transport.readOutbox()).find((l) => l.text === 'quiet step')!;
    expect(Date.parse(line.at) - insertedAt).toBeLessThan(3_500);
    await waitFor(async () => (await transport.readOutbox()).length === 81, 20_000);
    expect((await outboxTexts()).indexOf('quiet step')).toBeLessThan(80);
  }, 60_000);

  it('sends a sequence message falling due after the campaign ended without delay', async () => {
    await campaignWith(3);

    await dispatcher.start();
    await waitFor(async () => (await transport.readOutbox()).length === 3);
    const dueAt = Date.now() + 300;
    const message = { ...sequenceMessage('late step'), notBefore: new Date(dueAt) };
    await ctx.store.messages.insertOne(message);
    await waitFor(async () => (await outboxTexts()).includes('late step'));

    const line = (await transport.readOutbox()).find((l) => l.text === 'late step')!;
    expect(Date.parse(line.at) - dueAt).toBeLessThan(1_000);
  });
});
