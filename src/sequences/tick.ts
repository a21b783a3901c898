import { conditionHolds } from '../domain/sequence.js';
import { warmer } from '../domain/status.js';
import { systemClock, type Clock } from '../domain/time.js';
import type { Logger } from '../log.js';
import type { Enrollment, Lead, Sequence, SequenceStep, Store } from '../store/index.js';
import { renderStepContent } from './render-step.js';
import { dueAtForStep, type StepTimingSettings } from './schedule.js';

// Enrollments read per findDue call; each costs about 5 round trips (60-100 ms on FerretDB).
const DEFAULT_BATCH_SIZE = 200;
// Enrollments handled at once within a batch: each is independent, guarded by indexes.
const DEFAULT_CONCURRENCY = 8;

/** What the tick needs. */
export interface SequenceTickOptions {
  store: Store;
  log: Logger;
  timing: StepTimingSettings;
  clock?: Clock;
  /** Called with the count after a batch created messages: the dispatcher's `wake()`. */
  onMessagesCreated?: (count: number) => void;
  batchSize?: number;
  concurrency?: number;
}

/** What one run did. `due` counts enrollment steps handled (one enrollment may move twice). */
export interface TickSummary {
  due: number;
  messagesCreated: number;
  skipped: number;
  completed: number;
  stopped: number;
  failed: number;
}

type StepOutcome = 'created' | 'repeat' | 'skipped' | 'stopped' | 'failed' | 'error';

interface StepResult {
  outcome: StepOutcome;
  completed: boolean;
}

/**
 * Moves due enrollments on: for each, creates the current step's message (kind
 * `sequence`, dedupe key `step:<enrollmentId>:<stepId>`, due at the step's time) when
 * its condition holds, warms the lead by the step's `setTemperature`, and schedules
 * the next step or completes the enrollment. Every effect is guarded by a unique index
 * or a condition on the step it started from, so a second run of the same tick (another
 * process, a retried job) creates nothing more. Enrollments of opted-out or deleted
 * leads are stopped; those whose sequence was deleted are marked failed.
 */
export class SequenceTick {
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: SequenceTickOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log.child({ module: 'sequence-tick' });
  }

  /**
   * Handles everything due at the clock's current time, batch by batch, calling
   * `onBatch` after each (Agenda's `job.touch()` keeps the lock on long runs).
   */
  async run(onBatch?: () => Promise<void>): Promise<TickSummary> {
    const now = this.clock.now();
    const summary: TickSummary = {
      due: 0,
      messagesCreated: 0,
      skipped: 0,
      completed: 0,
      stopped: 0,
      failed: 0,
    };
    const sequences = new Map<string, Promise<Sequence | null>>();
    // Enrollment positions handled in this run: one that did not move (an error, or a
    // concurrent run moved it) is not taken again until the next run.
    const seen = new Set<string>();

    for (;;) {
      const due = await this.options.store.enrollments.findDue(now, this.batchSize());
      const fresh = due.filter((enrollment) => !seen.has(positionKey(enrollment)));
      if (fresh.length === 0) break;
      fresh.forEach((enrollment) => seen.add(positionKey(enrollment)));

      const created = await this.runBatch(fresh, now, sequences, summary);
      if (created > 0) this.options.onMessagesCreated?.(created);
      await onBatch?.();
    }

    if (summary.due > 0) this.log.info(summary, 'sequence tick');
    return summary;
  }

  private batchSize(): number {
    return this.options.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  private async runBatch(
    batch: Enrollment[],
    now: Date,
    sequences: Map<string, Promise<Sequence | null>>,
    summary: TickSummary,
  ): Promise<number> {
    let created = 0;
    const queue = [...batch];
    const worker = async () => {
      for (let enrollment = queue.shift(); enrollment; enrollment = queue.shift()) {
        const result = await this.handleSafely(enrollment, now, sequences);
        if (result.outcome === 'created') created++;
        count(summary, result);
      }
    };
    const concurrency = this.options.concurrency ?? DEFAULT_CONCURRENCY;
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, worker));
    return created;
  }

  private async handleSafely(
    enrollment: Enrollment,
    now: Date,
    sequences: Map<string, Promise<Sequence | null>>,
  ): Promise<StepResult> {
    try {
      const key = String(enrollment.sequenceId);
      if (!sequences.has(key)) sequences.set(key, this.options.store.sequences.findById(key));
      return await this.handle(enrollment, await sequences.get(key)!, now);
    } catch (error) {
      this.log.error(
        { err: error, enrollmentId: String(enrollment._id) },
        'sequence step failed; retrying on the next tick',
      );
      return { outcome: 'error', completed: false };
    }
  }

  private async handle(
    enrollment: Enrollment,
    sequence: Sequence | null,
    now: Date,
  ): Promise<StepResult> {
    const { store } = this.options;
    if (!sequence) {
      await store.enrollments.fail(enrollment._id, 'sequence deleted');
      return { outcome: 'failed', completed: false };
    }
    const step = sequence.steps[enrollment.currentStep];
    const lead = await store.leads.findById(enrollment.leadId);
    if (!lead || lead.optedOutAt) {
      await store.enrollments.stop({ _id: enrollment._id }, lead ? 'opted out' : 'lead deleted');
      return { outcome: 'stopped', completed: false };
    }
    if (!step) {
      // The steps were edited down below this enrollment's position: nothing is left.
      return { outcome: 'skipped', completed: await this.advance(enrollment, sequence, lead, now) };
    }

    const goes = await this.stepApplies(enrollment, step, lead);
    const created = goes ? await this.createMessage(enrollment, step, lead) : false;
    if (created && (await this.optedOutMeanwhile(lead))) {
      await store.messages.cancelForLead(lead._id);
      await store.enrollments.stop({ _id: enrollment._id }, 'opted out');
      return { outcome: 'stopped', completed: false };
    }
    const completed = await this.advance(enrollment, sequence, lead, now);
    const outcome = !goes ? 'skipped' : created ? 'created' : 'repeat';
    return { outcome, completed };
  }

  private async stepApplies(enrollment: Enrollment, step: SequenceStep, lead: Lead) {
    const replied = step.condition?.noReplySinceEnrollment
      ? await this.options.store.inbound.hasReplySince(lead._id, enrollment.enrolledAt)
      : false;
    return conditionHolds(step.condition, {
      temperature: lead.temperature,
      repliedSinceEnrollment: replied,
    });
  }

  /** Inserts the step's message and applies `setTemperature`; false when it existed. */
  private async createMessage(enrollment: Enrollment, step: SequenceStep, lead: Lead) {
    const { store } = this.options;
    const dedupeKey = `step:${enrollment._id}:${step._id}`;
    const inserted = await store.messages.insertOne({
      kind: 'sequence',
      dedupeKey,
      sequenceId: enrollment.sequenceId,
      sequenceStepId: step._id,
      enrollmentId: enrollment._id,
      leadId: lead._id,
      to: lead.phone,
      content: renderStepContent(step.content, lead, dedupeKey),
      mediaUrl: step.mediaUrl,
      notBefore: enrollment.nextTriggerAt ?? this.clock.now(),
    });

    const temperature = step.setTemperature && warmer(lead.temperature, step.setTemperature);
    if (temperature && temperature !== lead.temperature) {
      await store.leads.update(lead._id, { temperature });
    }
    return inserted !== null;
  }

  /** An opt-out that landed between reading the lead and inserting its message. */
  private async optedOutMeanwhile(lead: Lead): Promise<boolean> {
    const current = await this.options.store.leads.findById(lead._id);
    return !current || Boolean(current.optedOutAt);
  }

  /** Schedules the next step, or completes the enrollment; true when this completed it. */
  private async advance(enrollment: Enrollment, sequence: Sequence, lead: Lead, now: Date) {
    const nextIndex = enrollment.currentStep + 1;
    const next = sequence.steps[nextIndex];
    const moved = await this.options.store.enrollments.advance(
      enrollment._id,
      enrollment.currentStep,
      next
        ? {
            currentStep: nextIndex,
            nextTriggerAt: dueAtForStep(next, enrollment.enrolledAt, lead, this.options.timing),
          }
        : { currentStep: nextIndex, nextTriggerAt: null, completedAt: now },
    );
    if (moved && !next) {
      this.log.debug({ enrollmentId: String(enrollment._id) }, 'enrollment completed');
    }
    return moved && !next;
  }
}

function positionKey(enrollment: Enrollment): string {
  return `${enrollment._id}:${enrollment.currentStep}`;
}

function count(summary: TickSummary, { outcome, completed }: StepResult): void {
  if (outcome === 'error') return;
  summary.due++;
  if (completed) summary.completed++;
  if (outcome === 'created') summary.messagesCreated++;
  if (outcome === 'skipped') summary.skipped++;
  if (outcome === 'stopped') summary.stopped++;
  if (outcome === 'failed') summary.failed++;
}
