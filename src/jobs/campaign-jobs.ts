import type { CampaignScheduler, CampaignService } from '../campaigns/service.js';
import type { Logger } from '../log.js';
import type { Agenda } from './agenda.js';

/** Starts one campaign at its scheduledAt; data `{ campaignId }`. */
export const CAMPAIGN_START_JOB = 'campaign-start';
/** Recurring: missed starts, completion, progress. */
export const CAMPAIGN_WATCH_JOB = 'campaign-watch';

/** Options for {@link defineCampaignJobs}. */
export interface CampaignJobsOptions {
  /** How often the watcher runs (Agenda interval text; default `5 seconds`). */
  watchInterval?: string;
  /**
   * How long a watcher run holds its lock, in ms (default 30,000). A process that dies
   * mid-run blocks the watcher this long; a run is one short pass, so keep it small.
   */
  watchLockLifetimeMs?: number;
}

/** What the start job carries. */
interface StartJobData {
  campaignId: string;
}

/**
 * Defines the campaign jobs and schedules the recurring watcher; call before
 * `agenda.start()`. Either job may run twice (Agenda's lock is a conditional update):
 * the service guards every effect in the database.
 */
export async function defineCampaignJobs(
  agenda: Agenda,
  service: CampaignService,
  log: Logger,
  options: CampaignJobsOptions = {},
): Promise<void> {
  const jobLog = log.child({ module: 'campaign-jobs' });
  agenda.define<StartJobData>(
    CAMPAIGN_START_JOB,
    async (job) => {
      const outcome = await service.start(job.attrs.data.campaignId);
      jobLog.debug({ campaignId: job.attrs.data.campaignId, outcome }, 'start job ran');
    },
    // Inserting a large audience on a slow server can take minutes.
    { concurrency: 2, lockLifetime: 30 * 60_000 },
  );
  agenda.define(CAMPAIGN_WATCH_JOB, async () => service.watch(), {
    concurrency: 1,
    lockLifetime: options.watchLockLifetimeMs ?? 30_000,
  });
  await agenda.every(options.watchInterval ?? '5 seconds', CAMPAIGN_WATCH_JOB);
}

/** Schedules and cancels campaign starts as Agenda jobs, for {@link CampaignService}. */
export function agendaCampaignScheduler(agenda: Agenda): CampaignScheduler {
  return {
    async scheduleStart(campaignId, at) {
      await agenda.schedule<StartJobData>(at, CAMPAIGN_START_JOB, { campaignId });
    },
    async unscheduleStart(campaignId) {
      await agenda.cancel({ name: CAMPAIGN_START_JOB, data: { campaignId } });
    },
  };
}
