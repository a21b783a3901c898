import { beforeEach, describe, expect, it } from 'vitest';
import { AppEvents } from '../../../src/events.js';
import { DEFAULT_OPT_OUT_CONFIRMATION, InboundHandler } from '../../../src/inbound/handler.js';
import { silentLogger } from '../../../src/log.js';
import type { InboundEvent } from '../../../src/transport/port.js';
import { useTestStore } from '../../support/db.js';
import { makePhone } from '../../support/builders.js';
import {
  DAY_MS,
  createLead,
  createSequence,
  makeSequenceKit,
  stepMessagesOf,
} from '../sequences/support.js';

const ctx = useTestStore('inbound_handler');
const STOP_WORDS = ['STOP', 'UNSUBSCRIBE', 'OPT OUT'];
const HOT_KEYWORDS = ['price', 'buy'];

let messageCounter = 0;

function inbound(from: string, text: string, overrides: Partial<InboundEvent> = {}): InboundEvent {
  return {
    id: `wa-in-${messageCounter++}`,
    from,
    text,
    hasMedia: false,
    profileName: 'María José',
    at: new Date(),
    ...overrides,
  };
}

function makeHandler() {
  const kit = makeSequenceKit(ctx.store);
  const events = new AppEvents();
  const replies: [string, string][] = [];
  events.on('lead-replied', (leadId, text) => replies.push([leadId, text]));
  let wakes = 0;
  const handler = new InboundHandler({
    store: ctx.store,
    sequences: kit.service,
    events,
    log: silentLogger,
    clock: kit.clock,
    stopWords: STOP_WORDS,
    hotKeywords: HOT_KEYWORDS,
    onMessagesCreated: () => wakes++,
  });
  return { ...kit, handler, replies, wakes: () => wakes };
}

beforeEach(async () => {
  await ctx.store.sequences.model.deleteMany({});
});

describe('InboundHandler', () => {
  describe('a message from an unknown number', () => {
    it('creates a cold prospect named from the WhatsApp profile, from whatsapp', async () => {
      const { handler } = makeHandler();
      const phone = makePhone();
      await handler.handle(inbound(phone, 'hello'));
      expect(await ctx.store.leads.findByPhone(phone)).toMatchObject({
        name: 'María José',
        status: 'prospect',
        temperature: 'cold',
        source: 'whatsapp',
      });
    });

    it('stores the message and the time of the lead’s last message', async () => {
      const { handler, clock } = makeHandler();
      const phone = makePhone();
      const event = inbound(phone, 'hello', { hasMedia: true });
      await handler.handle(event);
      const lead = await ctx.store.leads.findByPhone(phone);
      expect(lead?.lastInboundAt).toEqual(clock.now());
      expect(await ctx.store.inbound.recentForLead(lead!._id)).toMatchObject([
        { _id: event.id, text: 'hello', hasMedia: true, receivedAt: clock.now() },
      ]);
    });

    it('enrolls them when it is a trigger word, and the first step is due at once', async () => {
      const { handler, tick, clock } = makeHandler();
      const sequence = await createSequence(ctx.store, { name: 'Menu' });
      const phone = makePhone();

      const outcome = await handler.handle(inbound(phone, 'Info!'));

      expect(outcome).toMatchObject({ kind: 'reply', newLead: true, enrolledIn: ['Menu'] });
      const lead = (await ctx.store.leads.findByPhone(phone))!;
      expect(await ctx.store.enrollments.findLatest(sequence._id, lead._id)).toMatchObject({
        status: 'active',
        source: 'trigger',
      });
      await tick.run();
      const [first] = await stepMessagesOf(ctx.store, lead);
      expect(first).toMatchObject({
        content: 'Hi María, here is our menu.',
        notBefore: clock.now(),
      });
    });
  });

  it('does nothing more for a repeat of the same WhatsApp message id', async () => {
    const { handler, replies } = makeHandler();
    await createSequence(ctx.store);
    const event = inbound(makePhone(), 'info');
    await handler.handle(event);

    expect(await handler.handle(event)).toEqual({ kind: 'repeat' });
    expect(replies).toHaveLength(1);
    expect(await ctx.store.inbound.model.countDocuments({ _id: event.id })).toBe(1);
  });

  it('enrolls once when the trigger word arrives twice at the same moment', async () => {
    const { handler } = makeHandler();
    const sequence = await createSequence(ctx.store);
    const lead = await createLead(ctx.store);

    await Promise.all([
      handler.handle(inbound(lead.phone, 'info')),
      handler.handle(inbound(lead.phone, 'INFO')),
    ]);

    expect(await ctx.store.enrollments.model.countDocuments({ sequenceId: sequence._id })).toBe(1);
  });

  it('enrolls the lead in every active sequence the message matches', async () => {
    const { handler } = makeHandler();
    await createSequence(ctx.store, {
      name: 'Exact',
      trigger: { keywords: ['menu'], match: 'exact' },
    });
    await createSequence(ctx.store, {
      name: 'Word',
      trigger: { keywords: ['menu'], match: 'contains' },
    });
    await createSequence(ctx.store, {
      name: 'Phrase',
      trigger: { keywords: ['menu please'], match: 'contains' },
    });
    await createSequence(ctx.store, {
      name: 'Off',
      active: false,
      trigger: { keywords: ['menu'], match: 'contains' },
    });
    const lead = await createLead(ctx.store);

    const outcome = await handler.handle(inbound(lead.phone, 'The MENÚ, please?'));

    expect(outcome.kind === 'reply' && outcome.enrolledIn.sort()).toEqual(['Phrase', 'Word']);
  });

  describe('temperature', () => {
    it('warms a known cold lead on any reply', async () => {
      const { handler } = makeHandler();
      const lead = await createLead(ctx.store);
      await handler.handle(inbound(lead.phone, 'thanks'));
      expect((await ctx.store.leads.findById(lead._id))?.temperature).toBe('warm');
    });

    it('makes a lead hot on a hot keyword', async () => {
      const { handler } = makeHandler();
      const lead = await createLead(ctx.store, { temperature: 'warm' });
      await handler.handle(inbound(lead.phone, 'What is the PRICE?'));
      expect((await ctx.store.leads.findById(lead._id))?.temperature).toBe('hot');
    });

    it('never cools a hot lead', async () => {
      const { handler } = makeHandler();
      const lead = await createLead(ctx.store, { temperature: 'hot' });
      await handler.handle(inbound(lead.phone, 'ok'));
      expect((await ctx.store.leads.findById(lead._id))?.temperature).toBe('hot');
    });
  });

  it('tells admins through lead-replied', async () => {
    const { handler, replies } = makeHandler();
    const lead = await createLead(ctx.store);
    await handler.handle(inbound(lead.phone, 'Do you deliver?'));
    expect(replies).toEqual([[String(lead._id), 'Do you deliver?']]);
  });

  it('keeps a name an admin gave, and fills in a missing one', async () => {
    const { handler } = makeHandler();
    const named = await createLead(ctx.store, { name: 'Ana Lopez' });
    const unnamed = await createLead(ctx.store, { name: '' });
    await handler.handle(inbound(named.phone, 'hi'));
    await handler.handle(inbound(unnamed.phone, 'hi'));
    expect((await ctx.store.leads.findById(named._id))?.name).toBe('Ana Lopez');
    expect((await ctx.store.leads.findById(unnamed._id))?.name).toBe('María José');
  });

  describe('a reply while enrolled in a stopOnReply sequence', () => {
    it('stops that enrollment, cancels its unsent step, leaves others running', async () => {
      const { handler, service, tick } = makeHandler();
      const stopping = await createSequence(ctx.store, { stopOnReply: true });
      const continuing = await createSequence(ctx.store, {
        trigger: { keywords: ['menu'], match: 'exact' },
      });
      const lead = await createLead(ctx.store);
      await service.enroll(stopping._id, lead._id, 'admin');
      await service.enroll(continuing._id, lead._id, 'admin');
      await tick.run();

      const outcome = await handler.handle(inbound(lead.phone, 'sounds good'));

      expect(outcome).toMatchObject({ stoppedEnrollments: 1 });
      expect(await ctx.store.enrollments.findLatest(stopping._id, lead._id)).toMatchObject({
        status: 'stopped',
        stoppedReason: 'lead replied',
      });
      expect((await ctx.store.enrollments.findLatest(continuing._id, lead._id))?.status).toBe(
        'active',
      );
      const statuses = (await stepMessagesOf(ctx.store, lead)).map((m) => [
        String(m.sequenceId),
        m.status,
      ]);
      expect(statuses).toContainEqual([String(stopping._id), 'cancelled']);
      expect(statuses).toContainEqual([String(continuing._id), 'pending']);
    });

    it('does not stop it when the reply is that sequence’s own trigger again', async () => {
      const { handler } = makeHandler();
      const sequence = await createSequence(ctx.store, { stopOnReply: true });
      const lead = await createLead(ctx.store);
      await handler.handle(inbound(lead.phone, 'info'));
      await handler.handle(inbound(lead.phone, 'info'));
      expect((await ctx.store.enrollments.findLatest(sequence._id, lead._id))?.status).toBe(
        'active',
      );
    });
  });

  describe('STOP', () => {
    async function enrolledWithPending() {
      const kit = makeHandler();
      const sequence = await createSequence(ctx.store);
      const lead = await createLead(ctx.store);
      await kit.handler.handle(inbound(lead.phone, 'info'));
      await kit.tick.run();
      return { ...kit, sequence, lead };
    }

    it('opts the lead out, cancels pending messages, stops enrollments', async () => {
      const { handler, sequence, lead, clock } = await enrolledWithPending();

      const outcome = await handler.handle(inbound(lead.phone, 'Stop.'));

      expect(outcome).toMatchObject({ kind: 'opted-out', cancelled: 1, confirmationQueued: true });
      expect((await ctx.store.leads.findById(lead._id))?.optedOutAt).toEqual(clock.now());
      expect((await stepMessagesOf(ctx.store, lead)).map((m) => m.status)).toEqual(['cancelled']);
      expect(await ctx.store.enrollments.findLatest(sequence._id, lead._id)).toMatchObject({
        status: 'stopped',
        stoppedReason: 'opted out',
      });
    });

    it('queues exactly one confirmation, even when STOP comes twice', async () => {
      const { handler, lead, wakes } = await enrolledWithPending();
      await handler.handle(inbound(lead.phone, 'STOP'));
      await handler.handle(inbound(lead.phone, 'stop'));

      const system = await ctx.store.messages.model
        .find({ leadId: lead._id, kind: 'system' })
        .lean();
      expect(system).toMatchObject([
        {
          dedupeKey: `system:optout:${lead._id}`,
          content: DEFAULT_OPT_OUT_CONFIRMATION,
          to: lead.phone,
        },
      ]);
      expect(wakes()).toBe(1);
    });

    it('sends no further step after the clock moves on', async () => {
      const { handler, lead, tick, clock } = await enrolledWithPending();
      await handler.handle(inbound(lead.phone, 'opt-out'));
      clock.advance(10 * DAY_MS);
      await tick.run();
      expect(await stepMessagesOf(ctx.store, lead)).toHaveLength(1);
    });

    it('leaves the lead out of a later campaign audience', async () => {
      const { handler, lead } = await enrolledWithPending();
      await handler.handle(inbound(lead.phone, 'UNSUBSCRIBE'));
      const filter = ctx.store.leads.audienceFilter({ status: 'all' });
      const audience = await ctx.store.leads.model.find(filter, { _id: 1 }).lean();
      expect(audience.map((l) => String(l._id))).not.toContain(String(lead._id));
    });

    it('is not mistaken for a message that only contains the word', async () => {
      const { handler, lead } = await enrolledWithPending();
      const outcome = await handler.handle(inbound(lead.phone, 'please do not stop'));
      expect(outcome.kind).toBe('reply');
      expect((await ctx.store.leads.findById(lead._id))?.optedOutAt).toBeUndefined();
    });
  });

  describe('a message from an opted-out lead', () => {
    it('is stored but triggers nothing', async () => {
      const { handler, replies } = makeHandler();
      const sequence = await createSequence(ctx.store);
      const lead = await createLead(ctx.store);
      await ctx.store.leads.optOut(lead._id, new Date());

      const outcome = await handler.handle(inbound(lead.phone, 'info price'));

      expect(outcome).toMatchObject({ kind: 'ignored', reason: 'opted-out' });
      expect(await ctx.store.inbound.recentForLead(lead._id)).toHaveLength(1);
      expect(await ctx.store.enrollments.findLatest(sequence._id, lead._id)).toBeNull();
      expect((await ctx.store.leads.findById(lead._id))?.temperature).toBe('cold');
      expect(replies).toEqual([]);
    });
  });
});
