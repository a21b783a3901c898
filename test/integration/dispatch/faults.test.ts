import type { Types } from 'mongoose';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportUnavailableError } from '../../../src/transport/port.js';
import { makeCampaign, makeMessage, makePhone } from '../../support/builders.js';
import { recordEvents, SendingHarness } from '../../support/campaigns.js';
import { useTestStore } from '../../support/db.js';
import { tempDir, waitFor } from '../../support/sending.js';

const ctx = useTestStore('dispatch_faults');
const dir = tempDir('faults');
let harness: SendingHarness;
let campaignId: Types.ObjectId;

afterAll(() => dir.remove());

beforeEach(async () => {
  for (const model of Object.values(ctx.store.connection.models)) await model.deleteMany({});
  campaignId = (await ctx.store.campaigns.create(makeCampaign({ status: 'running' })))._id;
});

afterEach(async () => {
  await harness?.stop();
});

async function startHarness(sendTimeoutMs = 2_000, retryBaseDelayMs = 20) {
  harness = await new SendingHarness(ctx.store, {
    dir: dir.path,
    settings: { sendTimeoutMs, retryBaseDelayMs },
    transport: { hangMs: 60_000 },
  }).start();
  return harness;
}

async function insert(to = makePhone()) {
  return (await ctx.store.messages.insertOne(makeMessage({ campaignId, to })))!;
}

const attemptsOf = (id: Types.ObjectId) => ctx.store.attempts.listFor(id);
const stored = (id: Types.ObjectId) => ctx.store.messages.findById(id);

describe('a number that is not on WhatsApp', () => {
  it('fails with that reason after one try', async () => {
    await startHarness();
    const to = makePhone();
    harness.transport.inject({ kind: 'not-on-whatsapp', to });
    const message = await insert(to);
    harness.dispatcher.wake();

    await waitFor(async () => (await stored(message._id))?.status === 'failed');
    expect(await stored(message._id)).toMatchObject({ lastError: 'the number is not on WhatsApp' });
    expect(await attemptsOf(message._id)).toHaveLength(1);
    expect(await harness.transport.readOutbox()).toEqual([]);
  });
});

describe('a send that times out every time', () => {
  it('is tried 3 times, then failed with the reason', async () => {
    await startHarness(300);
    const to = makePhone();
    harness.transport.inject({ kind: 'timeout', to, times: 10 });
    const message = await insert(to);
    harness.dispatcher.wake();

    await waitFor(async () => (await stored(message._id))?.status === 'failed');
    const failed = await stored(message._id);
    expect(failed?.lastError).toBe(
      'no answer from WhatsApp within 300 ms (gave up after 3 attempts)',
    );
    const attempts = await attemptsOf(message._id);
    expect(attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed']);
    expect(await harness.transport.readOutbox()).toEqual([]);
  });

  it('is sent on a later try when the timeout passes', async () => {
    await startHarness(300);
    const to = makePhone();
    harness.transport.inject({ kind: 'timeout', to, times: 1 });
    const message = await insert(to);
    harness.dispatcher.wake();

    await waitFor(async () => (await stored(message._id))?.status === 'sent');
    expect((await attemptsOf(message._id)).map((a) => a.outcome)).toEqual(['retry', 'sent']);
    expect(await harness.transport.readOutbox()).toHaveLength(1);
  });
});

describe('a send that delivered and then threw', () => {
  it('is recorded sent, not repeated', async () => {
    await startHarness();
    const to = makePhone();
    harness.transport.inject({ kind: 'deliver-then-throw', to });
    const message = await insert(to);
    harness.dispatcher.wake();

    await waitFor(async () => (await stored(message._id))?.status === 'sent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const outbox = await harness.transport.readOutbox();
    expect(outbox).toHaveLength(1);
    expect((await stored(message._id))?.waMessageId).toBe(outbox[0]!.id);
    expect(await attemptsOf(message._id)).toHaveLength(1);
  });
});

describe('a send that may have gone out when the transport cannot tell', () => {
  it('becomes unknown, is not re-sent, and admins are told', async () => {
    await startHarness();
    harness.transport.findSent = async () => undefined;
    const seen = recordEvents(harness.events);
    const to = makePhone();
    harness.transport.inject({ kind: 'deliver-then-throw', to });
    const message = await insert(to);
    harness.dispatcher.wake();

    await waitFor(async () => (await stored(message._id))?.status === 'unknown');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await harness.transport.readOutbox()).toHaveLength(1);
    expect(await attemptsOf(message._id)).toHaveLength(1);
    expect(seen).toContainEqual(['review-waiting', 1]);
  });
});

describe('five transient failures in a row', () => {
  it('pause all sending and raise the admin event; resume sends the rest', async () => {
    // Retries wait 1 s, so the five failures are five different messages' first tries.
    await startHarness(2_000, 1_000);
    const seen = recordEvents(harness.events);
    harness.transport.inject({ kind: 'transient', times: 5 });
    for (let i = 0; i < 8; i++) await insert();
    harness.dispatcher.wake();

    await waitFor(() => harness.dispatcher.paused);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await harness.transport.readOutbox()).toEqual([]);
    expect(seen.filter(([name]) => name === 'sending-paused')).toEqual([
      ['sending-paused', '5 sends in a row failed; the last one: simulated transient failure'],
    ]);
    const attempts = await ctx.store.attempts.model.find({}).lean();
    expect(attempts.map((attempt) => attempt.outcome === 'sent')).toEqual(Array(5).fill(false));

    harness.dispatcher.resume();
    await waitFor(async () => (await ctx.store.messages.countByStatus({ campaignId })).sent === 8);
    expect(await ctx.store.messages.countByStatus({ campaignId })).toEqual({ sent: 8 });
    expect(await harness.transport.readOutbox()).toHaveLength(8);
  });

  it('do not pause when a success comes between them', async () => {
    await startHarness();
    const first = makePhone();
    harness.transport.inject({ kind: 'transient', to: first, times: 2 });
    await insert(first);
    for (let i = 0; i < 4; i++) await insert();
    harness.dispatcher.wake();

    await waitFor(async () => (await harness.transport.readOutbox()).length === 5);
    expect(harness.dispatcher.paused).toBe(false);
  });
});

describe('a transport that drops the connection mid-campaign', () => {
  it('counts each refused send as a failure and pauses after five', async () => {
    await startHarness();
    const seen = recordEvents(harness.events);
    // Reads "ready" but refuses every send, like a session that looks connected.
    const realSend = harness.transport.send.bind(harness.transport);
    harness.transport.send = async () => {
      throw new TransportUnavailableError('socket closed');
    };
    for (let i = 0; i < 6; i++) await insert();
    harness.dispatcher.wake();

    await waitFor(() => harness.dispatcher.paused);
    expect(seen.map(([name]) => name)).toContain('sending-paused');
    const counts = await ctx.store.messages.countByStatus({ campaignId });
    expect(counts.failed ?? 0).toBe(0);

    harness.transport.send = realSend;
    harness.dispatcher.resume();
    await waitFor(async () => (await harness.transport.readOutbox()).length === 6);
  });
});
