import { Types } from 'mongoose';
import { matchesAnyKeyword } from '../domain/keywords.js';
import { validateSequence } from '../domain/sequence.js';
import { systemClock, type Clock } from '../domain/time.js';
import type { Logger } from '../log.js';
import { isDuplicateKey, type Enrollment, type Sequence, type Store } from '../store/index.js';
import { dueAtForStep, type StepTimingSettings } from './schedule.js';

/** How a lead got into a sequence. */
export type EnrollmentSource = 'trigger' | 'admin';

/** Why an enrollment was refused; `message` in {@link EnrollOutcome} says it for admins. */
export type EnrollRefusal =
  'unknown-sequence' | 'unknown-lead' | 'inactive' | 'no-steps' | 'opted-out' | 'no-reentry';

/** What {@link SequenceService.enroll} did. */
export type EnrollOutcome =
  | { status: 'enrolled'; enrollment: Enrollment }
  | { status: 'already-enrolled'; enrollment: Enrollment }
  | { status: 'refused'; reason: EnrollRefusal; message: string };

/** What {@link SequenceService.create} did. */
export type CreateSequenceOutcome =
  { ok: true; sequence: Sequence } | { ok: false; problems: string[] };

/** What the service needs. */
export interface SequenceServiceOptions {
  store: Store;
  log: Logger;
  timing: StepTimingSettings;
  clock?: Clock;
  /** Called after each new enrollment, e.g. to run the sequence tick at once. */
  onEnrolled?: (enrollment: Enrollment) => void;
}

/**
 * Sequences and enrollments: creating a sequence, enrolling a lead (by trigger or by
 * an admin), unenrolling. At most one active enrollment per (sequence, lead), held by
 * the unique (sequenceId, leadId, cycle) index, so concurrent calls enroll once.
 */
export class SequenceService {
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: SequenceServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log.child({ module: 'sequences' });
  }

  /** Validates and stores a sequence; a taken name is reported like any other problem. */
  async create(input: unknown, createdBy?: number): Promise<CreateSequenceOutcome> {
    const validation = validateSequence(input);
    if (!validation.ok) return validation;

    try {
      const sequence = await this.options.store.sequences.create({
        ...validation.sequence,
        createdBy,
      });
      return { ok: true, sequence };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const name = validation.sequence.name;
      return {
        ok: false,
        problems: [`name: a sequence called "${name}" exists; choose another name`],
      };
    }
  }

  /**
   * Enrolls a lead: a first enrollment, or after a completed or stopped one a new cycle
   * when the sequence allows re-entry. Returns the live enrollment when there is one.
   * An opted-out lead and an inactive sequence are refused. The first step is due at
   * once (or at its send time), see `stepDueAt`.
   */
  async enroll(
    sequenceId: Types.ObjectId | string,
    leadId: Types.ObjectId | string,
    source: EnrollmentSource,
  ): Promise<EnrollOutcome> {
    const { store } = this.options;
    const leadObjectId = asId(leadId);
    const [sequence, lead] = await Promise.all([
      store.sequences.findById(sequenceId),
      leadObjectId && store.leads.findById(leadObjectId),
    ]);
    if (!sequence) return refuse('unknown-sequence', 'there is no such sequence');
    if (!lead) return refuse('unknown-lead', 'there is no such lead');
    if (lead.optedOutAt) return refuse('opted-out', 'the lead opted out; they are never messaged');
    if (!sequence.active) {
      return refuse('inactive', `"${sequence.name}" is paused; activate it to enroll leads`);
    }
    const firstStep = sequence.steps[0];
    if (!firstStep) return refuse('no-steps', `"${sequence.name}" has no steps; add one first`);

    const latest = await store.enrollments.findLatest(sequence._id, lead._id);
    if (latest?.status === 'active') return { status: 'already-enrolled', enrollment: latest };
    if (latest && !sequence.allowReentry) {
      return refuse(
        'no-reentry',
        `the lead already went through "${sequence.name}" (${latest.status}); ` +
          'allow re-entry on the sequence to enroll them again',
      );
    }

    const enrolledAt = this.clock.now();
    const fields = {
      sequenceId: sequence._id,
      leadId: lead._id,
      cycle: (latest?.cycle ?? 0) + 1,
      enrolledAt,
      nextTriggerAt: dueAtForStep(firstStep, enrolledAt, lead, this.options.timing),
      source,
    };
    try {
      const enrollment = await store.enrollments.insert(fields);
      this.log.info(
        { sequenceId: String(sequence._id), enrollmentId: String(enrollment._id), source },
        'lead enrolled',
      );
      this.options.onEnrolled?.(enrollment);
      return { status: 'enrolled', enrollment };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return this.concurrentWinner(sequence, lead._id);
    }
  }

  /**
   * Stops the lead's active enrollment in a sequence and cancels its step messages not
   * yet sent. False when the lead had no active enrollment there.
   */
  async unenroll(
    sequenceId: Types.ObjectId | string,
    leadId: Types.ObjectId | string,
    reason = 'unenrolled by an admin',
  ): Promise<boolean> {
    const { store } = this.options;
    const [sequence, lead] = [await store.sequences.findById(sequenceId), asId(leadId)];
    const latest = sequence && lead && (await store.enrollments.findLatest(sequence._id, lead));
    if (!latest) return false;

    // A walk is `completed` once its last step's message exists, which may still be
    // waiting to go: unenrolling cancels that message too.
    const stopped =
      latest.status === 'active' ? await store.enrollments.stop({ _id: latest._id }, reason) : 0;
    const cancelled = await store.messages.cancelForEnrollment(latest._id, reason);
    return stopped === 1 || cancelled > 0;
  }

  /** Active sequences whose trigger matches the message (case and accents ignored). */
  async matchingSequences(text: string): Promise<Sequence[]> {
    const active = await this.options.store.sequences.findActive();
    return active.filter((sequence) =>
      matchesAnyKeyword(text, sequence.trigger.keywords, sequence.trigger.match),
    );
  }

  /** Enrolls the lead in every active sequence whose trigger the message matches. */
  async enrollByTrigger(
    leadId: Types.ObjectId,
    text: string,
  ): Promise<{ sequence: Sequence; outcome: EnrollOutcome }[]> {
    const matched = await this.matchingSequences(text);
    return Promise.all(
      matched.map(async (sequence) => ({
        sequence,
        outcome: await this.enroll(sequence._id, leadId, 'trigger'),
      })),
    );
  }

  private async concurrentWinner(
    sequence: Sequence,
    leadId: Types.ObjectId,
  ): Promise<EnrollOutcome> {
    const winner = await this.options.store.enrollments.findLatest(sequence._id, leadId);
    if (winner) return { status: 'already-enrolled', enrollment: winner };
    throw new Error(`enrollment in "${sequence.name}" collided with one that cannot be read back`);
  }
}

function refuse(reason: EnrollRefusal, message: string): EnrollOutcome {
  return { status: 'refused', reason, message };
}

function asId(id: Types.ObjectId | string): Types.ObjectId | null {
  if (typeof id !== 'string') return id;
  return Types.ObjectId.isValid(id) ? new Types.ObjectId(id) : null;
}
