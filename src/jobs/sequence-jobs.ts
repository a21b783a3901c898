import type { Agenda } from './agenda.js';
import type { Logger } from '../log.js';
import type { SequenceTick, TickSummary } from '../sequences/tick.js';

/** The recurring Agenda job that moves due enrollments on. */
export const SEQUENCE_TICK_JOB = 'sequence-tick';

/** Options for {@link SequenceJobs}. */
export interface SequenceJobsOptions {
  /** How often the tick runs (Agenda interval text; default `1 minute`). */
  interval?: string;
  /** How long a run may hold the job's lock between touches, in ms (default 5 minutes). */
  lockLifetimeMs?: number;
}

/**
 * Runs the sequence tick every minute through Agenda, and at once on request (after an
 * enrollment). In one process runs never overlap: a request during a run is answered
 * by one more run after it, however many requests came. Across processes Agenda's lock
 * keeps the recurring job on one, and the tick's own guards make any overlap harmless.
 */
export class SequenceJobs {
  private running: Promise<TickSummary> | null = null;
  private queued: Promise<TickSummary> | null = null;
  private readonly touchers = new Set<() => Promise<void>>();
  private readonly log: Logger;

  constructor(
    private readonly agenda: Agenda,
    private readonly tick: SequenceTick,
    log: Logger,
    private readonly options: SequenceJobsOptions = {},
  ) {
    this.log = log.child({ module: 'sequence-jobs' });
  }

  /** Defines the job and schedules it to recur; call before `agenda.start()`. */
  async schedule(): Promise<void> {
    this.agenda.define(
      SEQUENCE_TICK_JOB,
      async (job) => {
        const touch = async () => void (await job.touch());
        this.touchers.add(touch);
        try {
          await this.runNow();
        } finally {
          this.touchers.delete(touch);
        }
      },
      { concurrency: 1, lockLifetime: this.options.lockLifetimeMs ?? 5 * 60_000 },
    );
    await this.agenda.every(this.options.interval ?? '1 minute', SEQUENCE_TICK_JOB);
  }

  /**
   * Runs the tick now, or once more after the run in progress. Resolves with the
   * summary of a run that started after this call.
   */
  runNow(): Promise<TickSummary> {
    if (!this.running) {
      this.running = this.tick
        .run(() => this.touchAll())
        .finally(() => {
          this.running = null;
        });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.runNow();
      });
    return this.queued;
  }

  /** {@link runNow} without waiting; a failure is logged. For `onEnrolled`. */
  runSoon(): void {
    this.runNow().catch((error: unknown) => {
      this.log.error({ err: error }, 'sequence tick failed; the next one retries');
    });
  }

  /** Waits for the run in progress and the one queued after it, if any. */
  async idle(): Promise<void> {
    while (this.running || this.queued) {
      await (this.queued ?? this.running)?.catch(() => undefined);
    }
  }

  private async touchAll(): Promise<void> {
    await Promise.all([...this.touchers].map((touch) => touch()));
  }
}
