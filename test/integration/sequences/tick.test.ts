import { beforeEach, describe, expect, it } from 'vitest';
import { useTestStore } from '../../support/db.js';
import { DAY_MS, createLead, createSequence, makeSequenceKit, stepMessagesOf } from './support.js';

const ctx = useTestStore('sequence_tick');

// A tick handles everything due in the database: each test starts with nothing enrolled.
beforeEach(async () => {
  await ctx.store.enrollments.model.deleteMany({});
  await ctx.store.messages.model.deleteMany({});
});

async function enrolled(overrides: Parameters<typeof createSequence>[1] = {}, start?: Date) {
  const kit = makeSequenceKit(ctx.store, { start });
  const sequence = await createSequence(ctx.store, overrides);
  const lead = await createLead(ctx.store);
  const outcome = await kit.service.enroll(sequence._id, lead._id, 'trigger');
  if (outcome.status !== 'enrolled') throw new Error(`not enrolled: ${outcome.status}`);
  return { ...kit, sequence, lead, enrollment: outcome.enrollment };
}

describe('SequenceTick', () => {
  describe('for a new enrollment in a day 1, 3, 7 sequence', () => {
    it('creates the day-1 message due at once and schedules day 3', async () => {
      const { tick, lead, sequence, enrollment, clock, created } = await enrolled();

      const summary = await tick.run();

      expect(summary).toMatchObject({ due: 1, messagesCreated: 1 });
      expect(created).toEqual([1]);
      const [message, ...rest] = await stepMessagesOf(ctx.store, lead);
      expect(rest).toEqual([]);
      expect(message).toMatchObject({
        kind: 'sequence',
        status: 'pending',
        dedupeKey: `step:${enrollment._id}:${sequence.steps[0]!._id}`,
        sequenceId: sequence._id,
        sequenceStepId: sequence.steps[0]!._id,
        enrollmentId: enrollment._id,
        to: lead.phone,
        content: 'Hi Ana, here is our menu.',
        notBefore: clock.now(),
      });
      expect(await ctx.store.enrollments.findById(enrollment._id)).toMatchObject({
        currentStep: 1,
        nextTriggerAt: new Date(clock.now().getTime() + 2 * DAY_MS),
      });
    });

    it('creates nothing more when the same tick runs again', async () => {
      const { tick, lead } = await enrolled();
      await tick.run();
      expect(await tick.run()).toMatchObject({ due: 0, messagesCreated: 0 });
      expect(await stepMessagesOf(ctx.store, lead)).toHaveLength(1);
    });

    it('creates each message once when two ticks run at the same time', async () => {
      const { tick, lead, clock } = await enrolled();
      await Promise.all([tick.run(), tick.run()]);
      clock.advance(2 * DAY_MS);
      await Promise.all([tick.run(), tick.run(), tick.run()]);
      expect(await stepMessagesOf(ctx.store, lead)).toHaveLength(2);
    });

    it('brings exactly the next step on day 3 and on day 7, then completes', async () => {
      const { tick, lead, enrollment, clock } = await enrolled();
      const start = clock.now().getTime();
      await tick.run();

      clock.set(start + DAY_MS);
      expect(await tick.run()).toMatchObject({ due: 0 });
      clock.set(start + 2 * DAY_MS);
      expect(await tick.run()).toMatchObject({ due: 1, messagesCreated: 1 });
      clock.set(start + 5 * DAY_MS);
      expect(await tick.run()).toMatchObject({ due: 0 });
      clock.set(start + 6 * DAY_MS);
      expect(await tick.run()).toMatchObject({ due: 1, messagesCreated: 1, completed: 1 });

      const messages = await stepMessagesOf(ctx.store, lead);
      expect(messages.map((m) => m.content)).toEqual([
        'Hi Ana, here is our menu.',
        'Did you get a chance to look?',
        'Last call: 10% off this week.',
      ]);
      expect(messages.map((m) => m.notBefore.getTime() - start)).toEqual([
        0,
        2 * DAY_MS,
        6 * DAY_MS,
      ]);
      expect(await ctx.store.enrollments.findById(enrollment._id)).toMatchObject({
        status: 'completed',
        currentStep: 3,
        nextTriggerAt: null,
        completedAt: clock.now(),
      });
    });

    it('catches up on steps that fell due while nothing ran, in order', async () => {
      const { tick, lead, clock } = await enrolled();
      clock.advance(8 * DAY_MS);
      expect(await tick.run()).toMatchObject({ due: 3, messagesCreated: 3, completed: 1 });
      const messages = await stepMessagesOf(ctx.store, lead);
      expect(messages.map((m) => m.content[0])).toEqual(['H', 'D', 'L']);
    });
  });

  describe('a step conditioned on no reply since enrollment', () => {
    const steps = [
      { dayNumber: 1, content: 'Welcome' },
      { dayNumber: 3, content: 'No answer yet?', condition: { noReplySinceEnrollment: true } },
      { dayNumber: 7, content: 'Final note' },
    ];

    async function replyAt(leadId: unknown, at: Date, id: string) {
      await ctx.store.inbound.record({
        _id: id,
        leadId: leadId as never,
        from: '+12015550000',
        text: 'thanks!',
        hasMedia: false,
        receivedAt: at,
      });
    }

    it('is skipped after a reply, and the next step still comes', async () => {
      const { tick, lead, clock } = await enrolled({ steps });
      await tick.run();
      clock.advance(DAY_MS);
      await replyAt(lead._id, clock.now(), `reply-${lead._id}`);

      clock.advance(DAY_MS);
      expect(await tick.run()).toMatchObject({ due: 1, skipped: 1, messagesCreated: 0 });
      clock.advance(4 * DAY_MS);
      await tick.run();

      const contents = (await stepMessagesOf(ctx.store, lead)).map((m) => m.content);
      expect(contents).toEqual(['Welcome', 'Final note']);
    });

    it('goes when the lead has not replied', async () => {
      const { tick, lead, clock } = await enrolled({ steps });
      await tick.run();
      clock.advance(2 * DAY_MS);
      await tick.run();
      const contents = (await stepMessagesOf(ctx.store, lead)).map((m) => m.content);
      expect(contents).toEqual(['Welcome', 'No answer yet?']);
    });
  });

  describe('a step for warm and hot leads only', () => {
    const condition = { temperatureIn: ['warm' as const, 'hot' as const] };
    const steps = [{ dayNumber: 1, content: 'For the keen', condition }];

    it('is skipped for a cold lead', async () => {
      const { tick, lead, enrollment } = await enrolled({ steps });
      expect(await tick.run()).toMatchObject({ skipped: 1, completed: 1 });
      expect(await stepMessagesOf(ctx.store, lead)).toEqual([]);
      expect((await ctx.store.enrollments.findById(enrollment._id))?.status).toBe('completed');
    });

    it('goes to a warm lead', async () => {
      const { tick, lead } = await enrolled({ steps });
      await ctx.store.leads.update(lead._id, { temperature: 'warm' });
      await tick.run();
      expect(await stepMessagesOf(ctx.store, lead)).toHaveLength(1);
    });
  });

  describe('a step with setTemperature', () => {
    const steps = [{ dayNumber: 1, content: 'Our best offer', setTemperature: 'warm' as const }];

    it('warms the lead when its message is created', async () => {
      const { tick, lead } = await enrolled({ steps });
      await tick.run();
      expect((await ctx.store.leads.findById(lead._id))?.temperature).toBe('warm');
    });

    it('never cools a hotter lead', async () => {
      const { tick, lead } = await enrolled({ steps });
      await ctx.store.leads.update(lead._id, { temperature: 'hot' });
      await tick.run();
      expect((await ctx.store.leads.findById(lead._id))?.temperature).toBe('hot');
    });
  });

  describe('when the lead changes while enrolled', () => {
    it('keeps the pending step and sends the next after a status or tag change', async () => {
      const { tick, lead, enrollment, clock } = await enrolled();
      await tick.run();

      await ctx.store.leads.update(lead._id, { status: 'customer' });
      await ctx.store.leads.addTags(lead._id, ['vip']);
      await ctx.store.leads.removeTags(lead._id, ['vip']);

      expect((await stepMessagesOf(ctx.store, lead)).map((m) => m.status)).toEqual(['pending']);
      expect((await ctx.store.enrollments.findById(enrollment._id))?.status).toBe('active');
      clock.advance(2 * DAY_MS);
      await tick.run();
      expect(await stepMessagesOf(ctx.store, lead)).toHaveLength(2);
    });
  });

  describe('when the lead opted out', () => {
    it('stops the enrollment and creates nothing', async () => {
      const { tick, lead, enrollment } = await enrolled();
      await ctx.store.leads.optOut(lead._id, new Date());
      expect(await tick.run()).toMatchObject({ stopped: 1, messagesCreated: 0 });
      expect(await stepMessagesOf(ctx.store, lead)).toEqual([]);
      expect(await ctx.store.enrollments.findById(enrollment._id)).toMatchObject({
        status: 'stopped',
        stoppedReason: 'opted out',
      });
    });
  });

  describe('when the sequence was deleted', () => {
    it('marks the enrollment failed', async () => {
      const { tick, sequence, enrollment } = await enrolled();
      await ctx.store.sequences.model.deleteOne({ _id: sequence._id });
      expect(await tick.run()).toMatchObject({ failed: 1 });
      expect(await ctx.store.enrollments.findById(enrollment._id)).toMatchObject({
        status: 'failed',
        stoppedReason: 'sequence deleted',
      });
    });
  });

  describe('a step at 10:00 in the lead’s zone', () => {
    const steps = [
      { dayNumber: 1, content: 'Welcome' },
      { dayNumber: 3, sendTime: '10:00', content: 'Morning tip' },
      { dayNumber: 7, sendTime: '10:00', content: 'Last morning tip' },
    ];

    async function dueTimes(timezone: string, start: string) {
      const kit = makeSequenceKit(ctx.store, { start: new Date(start) });
      const sequence = await createSequence(ctx.store, { steps });
      const lead = await createLead(ctx.store, { timezone });
      await kit.service.enroll(sequence._id, lead._id, 'trigger');
      for (let day = 0; day < 8; day++) {
        await kit.tick.run();
        kit.clock.advance(DAY_MS);
      }
      return (await stepMessagesOf(ctx.store, lead)).map((m) => m.notBefore.toISOString());
    }

    it('goes at 10:00 local on both sides of New York’s November change', async () => {
      // Enrolled Friday Oct 30, 2026 at 15:00 EDT; clocks go back on Sunday Nov 1.
      expect(await dueTimes('America/New_York', '2026-10-30T19:00:00Z')).toEqual([
        '2026-10-30T19:00:00.000Z',
        '2026-11-01T15:00:00.000Z', // 10:00 EST
        '2026-11-05T15:00:00.000Z',
      ]);
    });

    it('goes at 10:00 local on both sides of Madrid’s March change', async () => {
      // Enrolled Friday Mar 27, 2026 at 12:00 CET; clocks go forward on Sunday Mar 29.
      expect(await dueTimes('Europe/Madrid', '2026-03-27T11:00:00Z')).toEqual([
        '2026-03-27T11:00:00.000Z',
        '2026-03-29T08:00:00.000Z', // 10:00 CEST
        '2026-04-02T08:00:00.000Z',
      ]);
    });
  });
});
