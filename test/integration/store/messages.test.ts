import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { useTestStore } from '../../support/db.js';
import { makeMessage } from '../../support/builders.js';

const ctx = useTestStore('messages');

describe('MessageRepository', () => {
  it('round-trips a message with its defaults', async () => {
    const input = makeMessage({ content: 'Hi Ana' });
    const stored = await ctx.store.messages.insertOne(input);
    const found = await ctx.store.messages.findById(stored!._id);
    expect(found).toMatchObject({
      content: 'Hi Ana',
      status: 'pending',
      attempt: 0,
      priority: 2,
      kind: 'campaign',
    });
  });

  it('refuses a second message with the same dedupe key', async () => {
    const input = makeMessage();
    expect(await ctx.store.messages.insertOne(input)).not.toBeNull();
    expect(await ctx.store.messages.insertOne(input)).toBeNull();
    expect(await ctx.store.messages.model.countDocuments({ dedupeKey: input.dedupeKey })).toBe(1);
  });

  it('inserts in batches and skips what exists on a second run', async () => {
    const campaignId = new Types.ObjectId();
    const batch = Array.from({ length: 2500 }, () => makeMessage({ campaignId }));
    expect(await ctx.store.messages.insertMany(batch)).toBe(2500);
    expect(await ctx.store.messages.insertMany(batch)).toBe(0);
    expect(await ctx.store.messages.model.countDocuments({ campaignId })).toBe(2500);
  });

  describe('claiming with 20 concurrent claimers over 200 due messages', () => {
    it('lets each message through the fence exactly once', async () => {
      await ctx.store.messages.model.deleteMany({});
      const campaignId = new Types.ObjectId();
      await ctx.store.messages.insertMany(
        Array.from({ length: 200 }, () => makeMessage({ campaignId })),
      );

      const passed: string[] = [];
      const claimer = async (name: string) => {
        for (;;) {
          const message = await ctx.store.messages.claimNext(name, new Date(), 60_000);
          if (!message) return;
          if (!(await ctx.store.messages.passFence(message, name, new Date()))) continue;
          passed.push(message._id.toHexString());
          await ctx.store.messages.recordSent(message, `wa-${message._id}`, new Date());
        }
      };
      await Promise.all(Array.from({ length: 20 }, (_, i) => claimer(`claimer-${i}`)));

      expect(passed).toHaveLength(200);
      expect(new Set(passed).size).toBe(200);

      // A losing claimer's write can land after the winner's outcome on servers that
      // read then write; recovery settles those from the recorded attempt.
      await ctx.store.messages.releaseExpiredLeases(new Date(Date.now() + 120_000));
      const counts = await ctx.store.messages.countByStatus({ campaignId });
      expect(counts).toEqual({ sent: 200 });
    }, 180_000);
  });

  describe('sequence messages', () => {
    it('are claimed before campaign messages due earlier', async () => {
      await ctx.store.messages.model.deleteMany({});
      await ctx.store.messages.insertOne(makeMessage({ notBefore: new Date(Date.now() - 60_000) }));
      const step = await ctx.store.messages.insertOne(
        makeMessage({ kind: 'sequence', campaignId: undefined, dedupeKey: 'step:a:b' }),
      );
      const first = await ctx.store.messages.claimNext('me', new Date(), 60_000);
      expect(first?._id).toEqual(step!._id);
    });
  });

  describe('releaseExpiredLeases', () => {
    it('returns an expired lease without an attempt to pending, and leaves a live one', async () => {
      await ctx.store.messages.model.deleteMany({});
      const expired = await ctx.store.messages.insertOne(makeMessage());
      const live = await ctx.store.messages.insertOne(makeMessage());
      const now = new Date();
      const a = await ctx.store.messages.claimNext('a', now, 1);
      const b = await ctx.store.messages.claimNext('b', now, 60_000);
      expect([a?._id, b?._id]).toEqual([expired!._id, live!._id]);

      const inDoubt = await ctx.store.messages.releaseExpiredLeases(new Date(now.getTime() + 10));
      expect(inDoubt).toEqual([]);
      expect((await ctx.store.messages.findById(expired!._id))?.status).toBe('pending');
      expect((await ctx.store.messages.findById(expired!._id))?.attempt).toBe(0);
      expect((await ctx.store.messages.findById(live!._id))?.status).toBe('queued');
    });

    it('reports an expired lease whose attempt began and never finished', async () => {
      await ctx.store.messages.model.deleteMany({});
      const message = await ctx.store.messages.insertOne(makeMessage());
      const now = new Date();
      const claimed = await ctx.store.messages.claimNext('a', now, 1);
      expect(await ctx.store.messages.passFence(claimed!, 'a', now)).toBe(true);

      const inDoubt = await ctx.store.messages.releaseExpiredLeases(new Date(now.getTime() + 10));
      expect(inDoubt.map((d) => d.message._id)).toEqual([message!._id]);
      expect((await ctx.store.messages.findById(message!._id))?.status).toBe('queued');
    });

    it('settles an expired lease whose attempt recorded a send', async () => {
      await ctx.store.messages.model.deleteMany({});
      const message = await ctx.store.messages.insertOne(makeMessage());
      const now = new Date();
      const claimed = await ctx.store.messages.claimNext('a', now, 1);
      await ctx.store.messages.passFence(claimed!, 'a', now);
      await ctx.store.attempts.finish(claimed!._id, claimed!.attempt, {
        outcome: 'sent',
        waMessageId: 'wa-1',
        at: now,
      });

      expect(await ctx.store.messages.releaseExpiredLeases(new Date(now.getTime() + 10))).toEqual(
        [],
      );
      expect(await ctx.store.messages.findById(message!._id)).toMatchObject({
        status: 'sent',
        waMessageId: 'wa-1',
      });
    });
  });
});
