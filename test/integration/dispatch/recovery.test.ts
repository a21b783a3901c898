import type { Types } from 'mongoose';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recoverInDoubt, UNKNOWN_AFTER_RESTART } from '../../../src/dispatch/recovery.js';
import { systemClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger } from '../../../src/log.js';
import type { BroadcastMessage } from '../../../src/store/messages.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeCampaign, makeMessage } from '../../support/builders.js';
import { recordEvents, SendingHarness } from '../../support/campaigns.js';
import { useTestStore } from '../../support/db.js';
import { makeSimulatedTransport, tempDir, waitFor } from '../../support/sending.js';

const ctx = useTestStore('recovery');
const dir = tempDir('recovery');
let transport: SimulatedTransport;
let campaignId: Types.ObjectId;
let harness: SendingHarness | undefined;

afterAll(() => dir.remove());

beforeEach(async () => {
  for (const model of Object.values(ctx.store.connection.models)) await model.deleteMany({});
  campaignId = (await ctx.store.campaigns.create(makeCampaign({ status: 'running' })))._id;
  transport = makeSimulatedTransport(dir.path, { outboxPath: `${dir.path}/${Date.now()}.jsonl` });
  await transport.start();
});

afterEach(async () => {
  await harness?.stop();
  harness = undefined;
  await transport.stop();
});

/** A message claimed by `owner` whose send attempt began and never finished. */
async function leftMidSend(owner: string, leaseMs = 1): Promise<BroadcastMessage> {
  await ctx.store.messages.insertOne(makeMessage({ campaignId }));
  const claimed = await ctx.store.messages.claimNext(owner, new Date(), leaseMs);
  await ctx.store.messages.passFence(claimed!, owner, new Date(Date.now() - 1_000));
  return claimed!;
}

function recover(owner?: string) {
  const events = new AppEvents();
  const seen = recordEvents(events);
  const deps = { store: ctx.store, transport, events, log: silentLogger, clock: systemClock };
  const run = recoverInDoubt(deps, owner ? { expireLeasesOf: owner } : {});
  return { run, seen };
}

const stored = (id: Types.ObjectId) => ctx.store.messages.findById(id);

describe('recoverInDoubt', () => {
  it('records sent a message the transport finds in its outbox', async () => {
    const message = await leftMidSend('old');
    const id = await transport.send(message.to, { text: message.content });
    await new Promise((resolve) => setTimeout(resolve, 5));

    const { run } = recover();
    expect(await run).toEqual({ confirmedSent: 1, requeued: 0, unknown: 0 });
    expect(await stored(message._id)).toMatchObject({ status: 'sent', waMessageId: id });
  });

  it('makes a message the transport surely did not send pending again, a new attempt', async () => {
    const message = await leftMidSend('old');

    expect(await recover().run).toEqual({ confirmedSent: 0, requeued: 1, unknown: 0 });
    expect(await stored(message._id)).toMatchObject({ status: 'pending', attempt: 1 });
    const claimed = await ctx.store.messages.claimNext('new', new Date(), 60_000);
    expect(claimed?.attempt).toBe(2);
    expect(await ctx.store.messages.passFence(claimed!, 'new', new Date())).toBe(true);
  });

  it('marks unknown what the transport cannot tell, and tells admins how many', async () => {
    const message = await leftMidSend('old');
    transport.findSent = async () => undefined;

    const { run, seen } = recover();
    expect(await run).toEqual({ confirmedSent: 0, requeued: 0, unknown: 1 });
    expect(await stored(message._id)).toMatchObject({
      status: 'unknown',
      lastError: UNKNOWN_AFTER_RESTART,
    });
    expect(seen).toEqual([['review-waiting', 1]]);
  });

  it('leaves alone a lease that has not expired and is not its own', async () => {
    const message = await leftMidSend('someone-else', 60_000);
    expect(await recover('me').run).toEqual({ confirmedSent: 0, requeued: 0, unknown: 0 });
    expect((await stored(message._id))?.status).toBe('queued');
  });

  it('ends its own leases from a previous life at once', async () => {
    const message = await leftMidSend('me', 60_000);
    expect(await recover('me').run).toEqual({ confirmedSent: 0, requeued: 1, unknown: 0 });
    expect((await stored(message._id))?.status).toBe('pending');
  });
});

describe('a dispatcher restarted under the same owner id', () => {
  it('settles what it left mid-send and sends it once', async () => {
    const message = await leftMidSend('bot', 60_000);
    harness = await new SendingHarness(ctx.store, {
      dir: dir.path,
      settings: { ownerId: 'bot' },
    }).start();

    await waitFor(async () => (await stored(message._id))?.status === 'sent');
    expect(await harness.transport.readOutbox()).toHaveLength(1);
    expect((await ctx.store.attempts.listFor(message._id)).map((a) => a.outcome)).toEqual([
      'retry',
      'sent',
    ]);
  });
});
