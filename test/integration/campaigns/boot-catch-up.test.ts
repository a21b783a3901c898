import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CampaignService } from '../../../src/campaigns/service.js';
import { systemClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { createAgenda, type Agenda } from '../../../src/jobs/agenda.js';
import {
  agendaCampaignScheduler,
  CAMPAIGN_START_JOB,
  defineCampaignJobs,
} from '../../../src/jobs/campaign-jobs.js';
import { silentLogger } from '../../../src/log.js';
import { recordEvents, seedLeads, SendingHarness } from '../../support/campaigns.js';
import { useTestStore } from '../../support/db.js';
import { tempDir, waitFor } from '../../support/sending.js';

const ctx = useTestStore('boot_catch_up');
const dir = tempDir('boot');
let agenda: Agenda | undefined;
let harness: SendingHarness | undefined;

afterAll(() => dir.remove());

afterEach(async () => {
  await agenda?.stop();
  agenda = undefined;
  await harness?.stop();
  harness = undefined;
});

describe('a campaign whose start time passed while the bot was stopped', () => {
  it('starts exactly once on boot', async () => {
    await seedLeads(ctx.store, { prospects: 6, customers: 2 });

    // Before the stop: the campaign was created and its start put on the schedule.
    const before = createAgenda(ctx.store.connection, { processEveryMs: 60_000 });
    const earlier = new CampaignService({
      store: ctx.store,
      events: new AppEvents(),
      log: silentLogger,
      clock: systemClock,
      rules: { minDelayFloorSeconds: 0.01 },
      scheduler: agendaCampaignScheduler(before),
    });
    const created = await earlier.create({
      title: 'Missed',
      message: 'Hello {{first_name}}',
      target: { status: 'prospect' },
      minDelaySeconds: 0.01,
      maxDelaySeconds: 0.02,
      scheduledAt: new Date(Date.now() + 1_500),
    });
    if (!created.ok) throw new Error(created.problems.join('; '));
    const campaignId = created.campaign._id;
    const jobs = await ctx.store.connection.db!.collection('agendaJobs').countDocuments({
      name: CAMPAIGN_START_JOB,
    });
    expect(jobs).toBe(1);
    await before.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_600));

    // Boot: the start job (now overdue), the watcher and the boot catch-up all try it.
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const seen = recordEvents(harness.events);
    agenda = createAgenda(ctx.store.connection, { processEveryMs: 100 });
    const jobOptions = { watchInterval: '1 second' };
    await defineCampaignJobs(agenda, harness.campaigns, silentLogger, jobOptions);
    await agenda.start();
    await harness.campaigns.startMissed();

    await waitFor(
      async () => {
        const campaign = await ctx.store.campaigns.findById(campaignId);
        return campaign?.status === 'completed';
      },
      30_000,
      100,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(seen.filter(([name]) => name === 'campaign-started')).toEqual([
      ['campaign-started', campaignId.toHexString(), 'Missed', 6],
    ]);
    expect(seen.filter(([name]) => name === 'campaign-finished')).toHaveLength(1);
    expect(await ctx.store.messages.model.countDocuments({ campaignId })).toBe(6);
    const outbox = await harness.transport.readOutbox();
    expect(outbox).toHaveLength(6);
    expect(new Set(outbox.map((line) => line.to)).size).toBe(6);
  });
});
