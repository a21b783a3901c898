import { Types } from 'mongoose';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import type { DispatcherSettings } from '../../../src/dispatch/settings.js';
import { parseSendWindow } from '../../../src/domain/send-window.js';
import { ManualClock, systemClock, type Clock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger } from '../../../src/log.js';
import type { NewMessage } from '../../../src/store/messages.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeCampaign, makeMessage, makePhone } from '../../support/builders.js';
import { useTestStore } from '../../support/db.js';
import {
  makeSimulatedTransport,
  tempDir,
  testDispatcherSettings,
  waitFor,
} from '../../support/sending.js';

const ctx = useTestStore('dispatcher');
const dir = tempDir('dispatcher');
let transport: SimulatedTransport;
let dispatcher: Dispatcher | undefined;
let events: AppEvents;

afterAll(() => dir.remove());

beforeEach(async () => {
  await ctx.store.messages.model.deleteMany({});
  await ctx.store.attempts.model.deleteMany({});
  await ctx.store.campaigns.model.deleteMany({});
  await ctx.store.enrollments.model.deleteMany({});
  transport = makeSimulatedTransport(dir.path, { outboxPath: `${dir.path}/${Date.now()}.jsonl` });
  await transport.start();
  events = new AppEvents();
});

afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
  await transport.stop();
});

function startDispatcher(settings: Partial<DispatcherSettings> = {}, clock: Clock = systemClock) {
  dispatcher = new Dispatcher({
    store: ctx.store,
    transport,
    events,
    log: silentLogger,
    clock,
    settings: testDispatcherSettings(settings),
  });
  return dispatcher.start();
}

async function runningCampaign(overrides = {}) {
  return ctx.store.campaigns.create(makeCampaign({ status: 'running', ...overrides }));
}

/** Inserts one message (a campaign message unless `kind` says otherwise). */
async function insert(overrides: Partial<NewMessage>) {
  const isCampaign = !overrides.kind || overrides.kind === 'campaign';
  const campaignId = isCampaign ? overrides.campaignId : undefined;
  return ctx.store.messages.insertOne(makeMessage({ ...overrides, campaignId }));
}

async function insertCampaignMessages(campaignId: Types.ObjectId, count: number) {
  const messages = Array.from({ length: count }, () => makeMessage({ campaignId }));
  await ctx.store.messages.insertMany(messages);
}

async function statusOf(id: Types.ObjectId) {
  return (await ctx.store.messages.findById(id))?.status;
}

describe('Dispatcher', () => {
  describe('with due messages of every kind', () => {
    it('sends each once, system first, then sequence, then campaign', async () => {
      const campaign = await runningCampaign();
      const c = await insert({ campaignId: campaign._id, content: 'campaign' });
      const q = await insert({ kind: 'sequence', dedupeKey: 'step:x:1', content: 'step' });
      const s = await insert({ kind: 'system', dedupeKey: 'system:x', content: 'system' });

      await startDispatcher();
      await waitFor(async () => (await ctx.store.messages.countByStatus()).sent === 3);

      const outbox = await transport.readOutbox();
      expect(outbox.map((line) => line.text)).toEqual(['system', 'step', 'campaign']);
      for (const message of [c!, q!, s!]) {
        const stored = await ctx.store.messages.findById(message._id);
        expect(stored).toMatchObject({ status: 'sent' });
        expect(outbox.find((line) => line.to === message.to)?.id).toBe(stored!.waMessageId);
      }
      expect(dispatcher!.metrics().sent).toBe(3);
    });
  });

  describe('when a campaign is not running', () => {
    it('holds back a paused campaign’s messages and cancels a cancelled one’s', async () => {
      const paused = await runningCampaign({ status: 'paused' });
      const cancelled = await runningCampaign({ status: 'cancelled' });
      const held = await insert({ campaignId: paused._id });
      const dropped = await insert({ campaignId: cancelled._id });

      await startDispatcher();
      await waitFor(async () => (await statusOf(dropped!._id)) === 'cancelled');
      await waitFor(async () => {
        const stored = await ctx.store.messages.findById(held!._id);
        return stored!.notBefore.getUTCFullYear() === 9999;
      });

      expect(await statusOf(held!._id)).toBe('pending');
      expect(await transport.readOutbox()).toEqual([]);
    });
  });

  describe('sequence messages', () => {
    it('go out for an active or completed enrollment, not for a stopped one', async () => {
      const enroll = (status: 'active' | 'completed' | 'stopped') =>
        ctx.store.enrollments.model.create({
          sequenceId: new Types.ObjectId(),
          leadId: new Types.ObjectId(),
          enrolledAt: new Date(),
          status,
        });
      const ids: Record<string, Types.ObjectId> = {};
      for (const status of ['active', 'completed', 'stopped'] as const) {
        const enrollment = await enroll(status);
        const message = await insert({
          kind: 'sequence',
          enrollmentId: enrollment._id,
          dedupeKey: `step:${enrollment._id}:1`,
        });
        ids[status] = message!._id;
      }

      await startDispatcher();
      await waitFor(async () => (await statusOf(ids.stopped!)) === 'cancelled');
      await waitFor(async () => (await statusOf(ids.completed!)) === 'sent');
      expect(await statusOf(ids.active!)).toBe('sent');
      expect(await transport.readOutbox()).toHaveLength(2);
    });
  });

  describe('outside the send window', () => {
    it('sends only system messages until the window opens', async () => {
      // 22:00 UTC, window 09:00-20:00 UTC.
      const clock = new ManualClock(new Date('2030-01-15T22:00:00Z'));
      const due = new Date('2030-01-15T21:00:00Z');
      const campaign = await runningCampaign();
      const marketing = await insert({ campaignId: campaign._id, notBefore: due });
      const system = await insert({ kind: 'system', dedupeKey: 'system:optout', notBefore: due });

      await startDispatcher({ sendWindow: parseSendWindow('09:00-20:00')! }, clock);
      await waitFor(async () => (await statusOf(system!._id)) === 'sent');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await statusOf(marketing!._id)).toBe('pending');

      clock.set(new Date('2030-01-16T09:00:00Z'));
      dispatcher!.wake();
      await waitFor(async () => (await statusOf(marketing!._id)) === 'sent');
    });
  });

  describe('with an hourly cap of 3', () => {
    it('sends 3, waits out the hour, then sends the rest', async () => {
      const clock = new ManualClock(new Date('2030-01-15T10:00:00Z'));
      const campaign = await runningCampaign();
      const due = new Date('2030-01-15T09:00:00Z');
      await ctx.store.messages.insertMany(
        Array.from({ length: 5 }, () => makeMessage({ campaignId: campaign._id, notBefore: due })),
      );

      await startDispatcher({ hourlyCap: 3 }, clock);
      await waitFor(async () => (await transport.readOutbox()).length === 3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await transport.readOutbox()).toHaveLength(3);

      clock.advance(60 * 60_000 + 1);
      dispatcher!.wake();
      await waitFor(async () => (await transport.readOutbox()).length === 5);
    });

    it('counts what was already sent in the last hour when it starts', async () => {
      const clock = new ManualClock(new Date('2030-01-15T10:00:00Z'));
      const campaign = await runningCampaign();
      const earlier = await insert({ campaignId: campaign._id });
      await ctx.store.messages.model.updateOne(
        { _id: earlier!._id },
        { $set: { status: 'sent', sentAt: new Date('2030-01-15T09:30:00Z') } },
      );
      await ctx.store.messages.insertMany(
        Array.from({ length: 3 }, () =>
          makeMessage({ campaignId: campaign._id, notBefore: new Date('2030-01-15T09:00:00Z') }),
        ),
      );

      await startDispatcher({ hourlyCap: 3 }, clock);
      await waitFor(async () => (await transport.readOutbox()).length === 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await transport.readOutbox()).toHaveLength(2);
    });
  });

  describe('pause and resume', () => {
    it('sends nothing while paused and everything after resuming', async () => {
      const campaign = await runningCampaign();
      await startDispatcher();
      const said: string[] = [];
      events.on('sending-paused', (reason) => said.push(`paused: ${reason}`));
      events.on('sending-resumed', () => said.push('resumed'));

      dispatcher!.pause('admin asked');
      expect(dispatcher!.paused).toBe(true);
      await insertCampaignMessages(campaign._id, 3);
      dispatcher!.wake();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await transport.readOutbox()).toHaveLength(0);

      dispatcher!.resume();
      await waitFor(async () => (await transport.readOutbox()).length === 3);
      expect(said).toEqual(['paused: admin asked', 'resumed']);
    });
  });

  describe('when the transport disconnects', () => {
    it('claims nothing until it is ready again', async () => {
      const campaign = await runningCampaign();
      await startDispatcher();
      transport.inject({ kind: 'disconnect' });
      const message = await insert({ campaignId: campaign._id });
      dispatcher!.wake();
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stored = await ctx.store.messages.findById(message!._id);
      expect(stored).toMatchObject({ status: 'pending', attempt: 0 });

      transport.inject({ kind: 'reconnect' });
      await waitFor(async () => (await statusOf(message!._id)) === 'sent');
    });
  });

  describe('wake', () => {
    it('picks up a new message well before the idle sleep ends', async () => {
      const campaign = await runningCampaign();
      await startDispatcher({ maxIdleSleepMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));

      const started = Date.now();
      const message = await insert({ campaignId: campaign._id });
      dispatcher!.wake();
      await waitFor(async () => (await statusOf(message!._id)) === 'sent', 5_000, 20);
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });

  describe('stop', () => {
    it('resolves during a long gap and leaves the rest pending', async () => {
      const campaign = await runningCampaign({ minDelaySeconds: 30, maxDelaySeconds: 30 });
      await insertCampaignMessages(campaign._id, 3);
      await startDispatcher();
      await waitFor(async () => (await transport.readOutbox()).length === 1);

      const started = Date.now();
      await dispatcher!.stop();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await ctx.store.messages.countByStatus({ campaignId: campaign._id })).toEqual({
        sent: 1,
        pending: 2,
      });
    });
  });

  it('sends to the number stored on the message', async () => {
    const campaign = await runningCampaign();
    const to = makePhone(4242);
    await insert({ campaignId: campaign._id, to, content: 'Hi Ana' });
    await startDispatcher();
    await waitFor(async () => (await transport.readOutbox()).length === 1);
    expect((await transport.readOutbox())[0]).toMatchObject({ to, text: 'Hi Ana' });
  });
});
