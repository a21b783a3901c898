import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { isDuplicateKey } from '../../../src/store/index.js';
import { makeCampaign, makePhone } from '../../support/builders.js';
import { useTestStore } from '../../support/db.js';

const ctx = useTestStore('repositories');

async function duplicateKeyOf(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return false;
  } catch (error) {
    return isDuplicateKey(error);
  }
}

describe('LeadRepository', () => {
  it('round-trips a lead with its defaults', async () => {
    const phone = makePhone();
    const created = await ctx.store.leads.create({ phone, name: 'Ana', tags: ['vip'] });
    expect(await ctx.store.leads.findById(created._id)).toMatchObject({
      phone,
      name: 'Ana',
      status: 'prospect',
      temperature: 'cold',
      tags: ['vip'],
    });
  });

  it('refuses a second lead with the same phone, and upsert updates instead', async () => {
    const phone = makePhone();
    await ctx.store.leads.create({ phone });
    expect(await duplicateKeyOf(() => ctx.store.leads.create({ phone }))).toBe(true);
    const { lead, created } = await ctx.store.leads.upsert({ phone, name: 'Later name' });
    expect(created).toBe(false);
    expect(lead.name).toBe('Later name');
    expect(await ctx.store.leads.model.countDocuments({ phone })).toBe(1);
  });
});

describe('CampaignRepository', () => {
  it('round-trips a campaign and refuses a transition its status machine forbids', async () => {
    const campaign = await ctx.store.campaigns.create(makeCampaign({ title: 'Round trip' }));
    expect(await ctx.store.campaigns.findById(campaign._id)).toMatchObject({
      title: 'Round trip',
      status: 'scheduled',
      target: { status: 'prospect' },
    });
    await expect(ctx.store.campaigns.transition(campaign._id, 'paused')).rejects.toThrow(
      'a campaign that is scheduled cannot become paused; it can become running or cancelled',
    );
  });
});

describe('SequenceRepository', () => {
  it('round-trips a sequence with embedded steps and derives totalDays', async () => {
    const sequence = await ctx.store.sequences.create({
      name: 'Welcome',
      trigger: { keywords: ['info'], match: 'contains' },
      steps: [
        { dayNumber: 1, content: 'Hi' },
        { dayNumber: 4, sendTime: '10:00', content: 'Still there?' },
      ],
    });
    const found = await ctx.store.sequences.findById(sequence._id);
    expect(found?.totalDays).toBe(4);
    expect(found?.steps.map((step) => [step.dayNumber, step.sendTime])).toEqual([
      [1, undefined],
      [4, '10:00'],
    ]);
    expect(found?.steps[0]?._id).toBeInstanceOf(Types.ObjectId);
  });

  it('refuses a second sequence with the same name', async () => {
    const input = { name: 'Twice', trigger: { keywords: [], match: 'exact' as const }, steps: [] };
    await ctx.store.sequences.create(input);
    expect(await duplicateKeyOf(() => ctx.store.sequences.create(input))).toBe(true);
  });
});

describe('EnrollmentRepository', () => {
  it('refuses a second enrollment of one lead in one sequence for the same cycle', async () => {
    const fields = {
      sequenceId: new Types.ObjectId(),
      leadId: new Types.ObjectId(),
      cycle: 1,
      enrolledAt: new Date(),
      nextTriggerAt: new Date(),
    };
    const first = await ctx.store.enrollments.insert(fields);
    expect(await ctx.store.enrollments.findById(first._id)).toMatchObject({
      status: 'active',
      currentStep: 0,
    });
    expect(await duplicateKeyOf(() => ctx.store.enrollments.insert(fields))).toBe(true);
    expect(await duplicateKeyOf(() => ctx.store.enrollments.insert({ ...fields, cycle: 2 }))).toBe(
      false,
    );
  });
});

describe('SendAttemptRepository', () => {
  it('lets one insert of an attempt through and refuses the second', async () => {
    const messageId = new Types.ObjectId();
    expect(await ctx.store.attempts.insert(messageId, 1, 'a', new Date())).toBe(true);
    expect(await ctx.store.attempts.insert(messageId, 1, 'b', new Date())).toBe(false);
    await ctx.store.attempts.finish(messageId, 1, {
      outcome: 'sent',
      waMessageId: 'wa-9',
      at: new Date(),
    });
    expect(await ctx.store.attempts.find(messageId, 1)).toMatchObject({
      sender: 'a',
      outcome: 'sent',
      waMessageId: 'wa-9',
    });
  });
});

describe('AckRepository', () => {
  it('keeps one ack per message and status, and counts read as delivered too', async () => {
    const campaignId = new Types.ObjectId();
    const at = new Date();
    await ctx.store.acks.record({ waMessageId: 'w1', status: 'delivered', campaignId, at });
    await ctx.store.acks.record({ waMessageId: 'w1', status: 'delivered', campaignId, at });
    await ctx.store.acks.record({ waMessageId: 'w1', status: 'read', campaignId, at });
    await ctx.store.acks.record({ waMessageId: 'w2', status: 'delivered', campaignId, at });
    expect(await ctx.store.acks.model.countDocuments({ waMessageId: 'w1' })).toBe(2);
    expect(await ctx.store.acks.countForCampaign(campaignId)).toEqual({ delivered: 2, read: 1 });
    expect(
      await duplicateKeyOf(() =>
        ctx.store.acks.model.collection.insertOne({ waMessageId: 'w1', status: 'read', at }),
      ),
    ).toBe(true);
  });
});

describe('InboundRepository', () => {
  it('stores a WhatsApp message once by its id', async () => {
    const leadId = new Types.ObjectId();
    const message = {
      _id: 'wa-in-1',
      leadId,
      from: makePhone(),
      text: 'info',
      hasMedia: false,
      receivedAt: new Date(),
    };
    expect(await ctx.store.inbound.record(message)).toBe(true);
    expect(await ctx.store.inbound.record(message)).toBe(false);
    expect(await ctx.store.inbound.hasReplySince(leadId, new Date(Date.now() - 60_000))).toBe(true);
  });
});

describe('AuditRepository', () => {
  it('records who did what', async () => {
    await ctx.store.audit.record(42, 'campaign.pause', { campaignId: 'abc' });
    expect(await ctx.store.audit.recent(1)).toMatchObject([
      { adminId: 42, action: 'campaign.pause', details: { campaignId: 'abc' } },
    ]);
  });
});
