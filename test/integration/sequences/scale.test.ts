import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { useTestStore } from '../../support/db.js';
import { makePhone } from '../../support/builders.js';
import { DAY_MS, createSequence, makeSequenceKit } from './support.js';

const ctx = useTestStore('sequence_scale');
const TOTAL = 10_000;
const DUE = 100;

describe('SequenceTick over 10,000 enrollments of which 100 are due', () => {
  it('handles exactly the 100 in one run', async () => {
    const { tick, clock } = makeSequenceKit(ctx.store);
    const now = clock.now();
    const sequence = await createSequence(ctx.store);

    const leads = Array.from({ length: DUE }, () => ({
      _id: new Types.ObjectId(),
      phone: makePhone(),
      name: 'Lead',
      status: 'prospect',
      temperature: 'cold',
      tags: [],
      source: 'import',
    }));
    await ctx.store.leads.model.collection.insertMany(leads);

    const enrollments = Array.from({ length: TOTAL }, (_, i) => {
      const due = i < DUE;
      return {
        sequenceId: sequence._id,
        leadId: due ? leads[i]!._id : new Types.ObjectId(),
        cycle: 1,
        currentStep: 0,
        status: 'active',
        enrolledAt: now,
        nextTriggerAt: new Date(now.getTime() + (due ? -60_000 : DAY_MS + i * 1000)),
        createdAt: now,
        updatedAt: now,
      };
    });
    await ctx.store.enrollments.model.collection.insertMany(enrollments, { ordered: false });

    const summary = await tick.run();

    expect(summary).toMatchObject({ due: DUE, messagesCreated: DUE });
    expect(await ctx.store.messages.model.countDocuments({ kind: 'sequence' })).toBe(DUE);
    expect(await ctx.store.enrollments.model.countDocuments({ currentStep: 1 })).toBe(DUE);
    expect(await ctx.store.enrollments.model.countDocuments({ currentStep: 0 })).toBe(TOTAL - DUE);
    expect(await tick.run()).toMatchObject({ due: 0 });
  }, 180_000);
});
