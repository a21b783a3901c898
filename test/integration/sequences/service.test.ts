import { describe, expect, it } from 'vitest';
import { useTestStore } from '../../support/db.js';
import {
  DAY_MS,
  createLead,
  createSequence,
  makeSequenceInput,
  makeSequenceKit,
  stepMessagesOf,
} from './support.js';

const ctx = useTestStore('sequence_service');

describe('SequenceService.create', () => {
  it('stores a valid sequence with its total days', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const outcome = await service.create(makeSequenceInput({ name: 'Spring menu' }), 42);
    expect(outcome).toMatchObject({ ok: true, sequence: { name: 'Spring menu', totalDays: 7 } });
    expect(await ctx.store.sequences.findByName('Spring menu')).toMatchObject({ createdBy: 42 });
  });

  it('lists what to fix and stores nothing when the definition is invalid', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const outcome = await service.create({ name: 'Broken', steps: [] });
    expect(outcome).toEqual({ ok: false, problems: ['steps: add at least one step'] });
    expect(await ctx.store.sequences.findByName('Broken')).toBeNull();
  });

  it('refuses a name that is taken', async () => {
    const { service } = makeSequenceKit(ctx.store);
    await service.create(makeSequenceInput({ name: 'Twice' }));
    const outcome = await service.create(makeSequenceInput({ name: 'Twice' }));
    expect(outcome).toEqual({
      ok: false,
      problems: ['name: a sequence called "Twice" exists; choose another name'],
    });
  });
});

describe('SequenceService.enroll', () => {
  it('enrolls a lead with the first step due at once', async () => {
    const { service, clock } = makeSequenceKit(ctx.store);
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];

    const outcome = await service.enroll(sequence._id, lead._id, 'admin');

    expect(outcome.status).toBe('enrolled');
    const stored = await ctx.store.enrollments.findLatest(sequence._id, lead._id);
    expect(stored).toMatchObject({
      status: 'active',
      cycle: 1,
      currentStep: 0,
      source: 'admin',
      enrolledAt: clock.now(),
      nextTriggerAt: clock.now(),
    });
  });

  it('enrolls once when two enrollments of the same lead race', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];

    const outcomes = await Promise.all([
      service.enroll(sequence._id, lead._id, 'trigger'),
      service.enroll(sequence._id, lead._id, 'trigger'),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['already-enrolled', 'enrolled']);
    expect(await ctx.store.enrollments.model.countDocuments({ leadId: lead._id })).toBe(1);
  });

  it('returns the live enrollment when the lead is already enrolled', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];
    const first = await service.enroll(sequence._id, lead._id, 'trigger');
    const second = await service.enroll(sequence._id, lead._id, 'trigger');
    expect(first.status).toBe('enrolled');
    expect(second.status).toBe('already-enrolled');
    expect(second.status !== 'refused' && second.enrollment._id).toEqual(
      first.status !== 'refused' && first.enrollment._id,
    );
  });

  describe('after the lead completed the sequence', () => {
    async function completedLead(allowReentry: boolean) {
      const kit = makeSequenceKit(ctx.store);
      const sequence = await createSequence(ctx.store, {
        allowReentry,
        steps: [{ dayNumber: 1, content: 'Only step' }],
      });
      const lead = await createLead(ctx.store);
      await kit.service.enroll(sequence._id, lead._id, 'trigger');
      await kit.tick.run();
      return { ...kit, sequence, lead };
    }

    it('refuses a new cycle unless the sequence allows re-entry', async () => {
      const { service, sequence, lead } = await completedLead(false);
      const outcome = await service.enroll(sequence._id, lead._id, 'trigger');
      expect(outcome).toMatchObject({ status: 'refused', reason: 'no-reentry' });
      expect(outcome.status === 'refused' && outcome.message).toMatch(/allow re-entry/);
    });

    it('starts cycle 2 when it does', async () => {
      const { service, sequence, lead } = await completedLead(true);
      const outcome = await service.enroll(sequence._id, lead._id, 'trigger');
      expect(outcome).toMatchObject({ status: 'enrolled', enrollment: { cycle: 2 } });
    });
  });

  it('never enrolls an opted-out lead', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const sequence = await createSequence(ctx.store, { allowReentry: true });
    const lead = await createLead(ctx.store);
    await ctx.store.leads.optOut(lead._id, new Date());

    const outcome = await service.enroll(sequence._id, lead._id, 'admin');

    expect(outcome).toMatchObject({ status: 'refused', reason: 'opted-out' });
    expect(await ctx.store.enrollments.findLatest(sequence._id, lead._id)).toBeNull();
  });

  it('refuses a paused sequence and says how to fix it', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const sequence = await createSequence(ctx.store, { name: 'Paused one', active: false });
    const lead = await createLead(ctx.store);
    expect(await service.enroll(sequence._id, lead._id, 'admin')).toEqual({
      status: 'refused',
      reason: 'inactive',
      message: '"Paused one" is paused; activate it to enroll leads',
    });
  });

  it('refuses unknown sequences and leads', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const lead = await createLead(ctx.store);
    const sequence = await createSequence(ctx.store);
    expect(await service.enroll('nope', lead._id, 'admin')).toMatchObject({
      reason: 'unknown-sequence',
    });
    expect(await service.enroll(sequence._id, 'nope', 'admin')).toMatchObject({
      reason: 'unknown-lead',
    });
  });

  it('calls onEnrolled for a new enrollment only', async () => {
    let calls = 0;
    const { service } = makeSequenceKit(ctx.store, { onEnrolled: () => calls++ });
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];
    await service.enroll(sequence._id, lead._id, 'trigger');
    await service.enroll(sequence._id, lead._id, 'trigger');
    expect(calls).toBe(1);
  });
});

describe('SequenceService.unenroll', () => {
  it('stops the enrollment and cancels its step not yet sent', async () => {
    const { service, tick, clock } = makeSequenceKit(ctx.store);
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];
    await service.enroll(sequence._id, lead._id, 'admin');
    await tick.run();

    expect(await service.unenroll(sequence._id, lead._id)).toBe(true);

    expect(await ctx.store.enrollments.findLatest(sequence._id, lead._id)).toMatchObject({
      status: 'stopped',
      stoppedReason: 'unenrolled by an admin',
      nextTriggerAt: null,
    });
    expect((await stepMessagesOf(ctx.store, lead)).map((m) => m.status)).toEqual(['cancelled']);

    clock.advance(10 * DAY_MS);
    await tick.run();
    expect(await stepMessagesOf(ctx.store, lead)).toHaveLength(1);
  });

  it('cancels the last step still waiting to go, although the walk reads completed', async () => {
    const { service, tick } = makeSequenceKit(ctx.store);
    const sequence = await createSequence(ctx.store, {
      steps: [{ dayNumber: 1, content: 'The only step' }],
    });
    const lead = await createLead(ctx.store);
    await service.enroll(sequence._id, lead._id, 'admin');
    await tick.run();
    const walk = await ctx.store.enrollments.findLatest(sequence._id, lead._id);
    expect(walk?.status).toBe('completed');

    expect(await service.unenroll(sequence._id, lead._id)).toBe(true);
    expect((await stepMessagesOf(ctx.store, lead)).map((m) => m.status)).toEqual(['cancelled']);
    expect(await service.unenroll(sequence._id, lead._id)).toBe(false);
  });

  it('answers false when the lead is not enrolled', async () => {
    const { service } = makeSequenceKit(ctx.store);
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];
    expect(await service.unenroll(sequence._id, lead._id)).toBe(false);
  });
});
