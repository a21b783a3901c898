import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Types } from 'mongoose';
import { afterAll, describe, expect, it } from 'vitest';
import { CampaignService } from '../../../src/campaigns/service.js';
import { systemClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger } from '../../../src/log.js';
import type { OutboxLine } from '../../../src/transport/simulated.js';
import { CrashBot, type CrashBotEnv } from '../../support/crash-bot-runner.js';
import { seedLeads } from '../../support/campaigns.js';
import { testServerUri, useTestStore } from '../../support/db.js';
import { tempDir, waitFor } from '../../support/sending.js';

const ctx = useTestStore('crash');
const dir = tempDir('crash');
const LEADS = 40;
/** Kill the bot right after the outbox reaches each of these sizes, then start it again. */
const KILL_AFTER_LINES = [6, 15, 24];

let running: CrashBot | undefined;

afterAll(async () => {
  await running?.kill();
  dir.remove();
});

async function outbox(path: string): Promise<OutboxLine[]> {
  const raw = await readFile(path, 'utf8').catch(() => '');
  return raw
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OutboxLine);
}

/** Messages left `queued` with a send attempt that began and has no outcome. */
async function sentButNotRecorded(campaignId: Types.ObjectId): Promise<string[]> {
  const queued = await ctx.store.messages.model.find({ campaignId, status: 'queued' }).lean();
  const open: string[] = [];
  for (const message of queued) {
    const attempt = await ctx.store.attempts.find(message._id, message.attempt);
    if (attempt && !attempt.outcome) open.push(message._id.toHexString());
  }
  return open;
}

describe('a bot killed with SIGKILL in the middle of a campaign', () => {
  it('loses nothing and repeats nothing once started again', async () => {
    await seedLeads(ctx.store, { prospects: LEADS });
    const service = new CampaignService({
      store: ctx.store,
      events: new AppEvents(),
      log: silentLogger,
      clock: systemClock,
      rules: { minDelayFloorSeconds: 0.01 },
    });
    const created = await service.create({
      title: 'Crash test',
      message: 'Hi {{first_name}}, {news|an update} for you.',
      target: { status: 'prospect' },
      minDelaySeconds: 0.02,
      maxDelaySeconds: 0.05,
      scheduledAt: new Date(),
    });
    if (!created.ok) throw new Error(created.problems.join('; '));
    const campaignId = created.campaign._id;

    const env: CrashBotEnv = {
      MONGODB_URI: testServerUri(),
      CADENCE_DB: ctx.dbName,
      OUTBOX: join(dir.path, 'outbox.jsonl'),
      OWNER_ID: 'crash-bot',
      CONFIRM_DELAY_MS: '150',
    };

    const leftInDoubt: string[] = [];
    for (const lines of KILL_AFTER_LINES) {
      running = new CrashBot(env);
      await running.ready();
      // Poll often, so the kill lands right after an outbox write, before its outcome is stored.
      await waitFor(async () => (await outbox(env.OUTBOX)).length >= lines, 60_000, 2);
      await running.kill();
      leftInDoubt.push(...(await sentButNotRecorded(campaignId)));
    }

    running = new CrashBot(env);
    await running.ready();
    await waitFor(
      async () => {
        const campaign = await ctx.store.campaigns.findById(campaignId);
        return campaign?.status === 'completed';
      },
      90_000,
      200,
    );
    await running.stop();
    running = undefined;

    const messages = await ctx.store.messages.model.find({ campaignId }).lean();
    expect(messages).toHaveLength(LEADS);
    for (const message of messages) {
      const settled =
        message.status === 'sent' ||
        message.status === 'unknown' ||
        (message.status === 'failed' && Boolean(message.lastError));
      expect(settled, `${message.status} ${message.lastError ?? ''}`).toBe(true);
    }

    // The kills landed between an outbox write and its record; those messages were
    // settled from the outbox after the restart, not sent again.
    expect(leftInDoubt.length).toBeGreaterThan(0);
    for (const id of leftInDoubt) {
      const message = messages.find((m) => m._id.toHexString() === id)!;
      expect(message.status).toBe('sent');
      expect((await ctx.store.attempts.listFor(message._id)).length).toBe(1);
    }

    const lines = await outbox(env.OUTBOX);
    const numbers = lines.map((line) => line.to);
    expect(new Set(numbers).size).toBe(numbers.length);
    const sent = messages.filter((message) => message.status === 'sent');
    expect(new Set(numbers)).toEqual(new Set(sent.map((message) => message.to)));
    expect(sent).toHaveLength(LEADS);
  }, 240_000);
});
