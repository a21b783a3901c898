import { Schema, type Connection, type Model, Types } from 'mongoose';
import { ENROLLMENT_STATUSES, type EnrollmentStatus } from '../domain/status.js';

/** One lead's walk through one sequence (`sequence_contacts`). */
export interface Enrollment {
  _id: Types.ObjectId;
  sequenceId: Types.ObjectId;
  leadId: Types.ObjectId;
  /** 1 for the first walk; a re-entry after completion is cycle 2, and so on. */
  cycle: number;
  /** Index into the sequence's steps of the next step to handle. */
  currentStep: number;
  nextTriggerAt: Date | null;
  status: EnrollmentStatus;
  enrolledAt: Date;
  stoppedReason?: string;
  completedAt?: Date;
  /** How the lead got in: `trigger` (their message matched a keyword) or `admin`. */
  source?: string;
  createdAt: Date;
  updatedAt: Date;
}

const enrollmentSchema = new Schema<Enrollment>(
  {
    sequenceId: { type: Schema.Types.ObjectId, required: true },
    leadId: { type: Schema.Types.ObjectId, required: true },
    cycle: { type: Number, default: 1 },
    currentStep: { type: Number, default: 0 },
    nextTriggerAt: { type: Date, default: null },
    status: { type: String, enum: ENROLLMENT_STATUSES, default: 'active' },
    enrolledAt: { type: Date, required: true },
    stoppedReason: String,
    completedAt: Date,
    source: String,
  },
  { collection: 'sequence_contacts', timestamps: true, versionKey: false },
);
enrollmentSchema.index({ sequenceId: 1, leadId: 1, cycle: 1 }, { unique: true });
enrollmentSchema.index({ status: 1, nextTriggerAt: 1 });
enrollmentSchema.index({ leadId: 1, status: 1 });

/** The `sequence_contacts` collection. */
export class EnrollmentRepository {
  readonly model: Model<Enrollment>;

  constructor(connection: Connection) {
    this.model = connection.model<Enrollment>('Enrollment', enrollmentSchema);
  }

  async findById(id: Types.ObjectId | string): Promise<Enrollment | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    return this.model.findById(id).lean<Enrollment>();
  }

  /**
   * Inserts an enrollment; the unique (sequenceId, leadId, cycle) index refuses a
   * second one, so callers race safely (a duplicate key means someone else won).
   */
  async insert(
    fields: Pick<Enrollment, 'sequenceId' | 'leadId' | 'cycle' | 'enrolledAt' | 'nextTriggerAt'> &
      Partial<Pick<Enrollment, 'source'>>,
  ): Promise<Enrollment> {
    return (await this.model.create({ ...fields, status: 'active', currentStep: 0 })).toObject();
  }

  /** The lead's latest enrollment in a sequence (highest cycle), any status. */
  async findLatest(sequenceId: Types.ObjectId, leadId: Types.ObjectId): Promise<Enrollment | null> {
    return this.model.findOne({ sequenceId, leadId }).sort({ cycle: -1 }).lean<Enrollment>();
  }

  async findActiveByLead(leadId: Types.ObjectId): Promise<Enrollment[]> {
    return this.model.find({ leadId, status: 'active' }).lean<Enrollment[]>();
  }

  /**
   * Up to `limit` active enrollments due at `now`, oldest due first (uses the
   * status/nextTriggerAt index).
   */
  async findDue(now: Date, limit: number): Promise<Enrollment[]> {
    return this.model
      .find({ status: 'active', nextTriggerAt: { $lte: now } })
      .sort({ nextTriggerAt: 1 })
      .limit(limit)
      .lean<Enrollment[]>();
  }

  /**
   * Moves an enrollment from step `fromStep` on: sets the next step and its due time,
   * or completes it. Conditional on `currentStep`, so a second run of the same tick
   * changes nothing. Returns false when the enrollment had already moved.
   */
  async advance(
    id: Types.ObjectId,
    fromStep: number,
    next: { currentStep: number; nextTriggerAt: Date | null; completedAt?: Date },
  ): Promise<boolean> {
    const set: Record<string, unknown> = {
      currentStep: next.currentStep,
      nextTriggerAt: next.nextTriggerAt,
    };
    if (next.completedAt)
      Object.assign(set, { status: 'completed', completedAt: next.completedAt });
    const result = await this.model.updateOne(
      { _id: id, status: 'active', currentStep: fromStep },
      { $set: set },
    );
    return result.modifiedCount === 1;
  }

  /** Stops active enrollments matching `filter` with a reason; returns how many. */
  async stop(
    filter: { _id?: Types.ObjectId; leadId?: Types.ObjectId; sequenceId?: Types.ObjectId },
    reason: string,
  ): Promise<number> {
    const result = await this.model.updateMany(
      { ...filter, status: 'active' },
      { $set: { status: 'stopped', stoppedReason: reason, nextTriggerAt: null } },
    );
    return result.modifiedCount;
  }

  /** Marks an active enrollment `failed` (e.g. its sequence was deleted); no more steps go. */
  async fail(id: Types.ObjectId, reason: string): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: id, status: 'active' },
      { $set: { status: 'failed', stoppedReason: reason, nextTriggerAt: null } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Moves the position of a sequence's active enrollments at or after step `fromIndex`
   * by `delta`, after a step was inserted (+1) or removed (-1) there, so each keeps
   * pointing at the same next step. Returns how many moved.
   */
  async shiftPositions(
    sequenceId: Types.ObjectId,
    fromIndex: number,
    delta: 1 | -1,
  ): Promise<number> {
    const result = await this.model.updateMany(
      { sequenceId, status: 'active', currentStep: { $gte: fromIndex } },
      { $inc: { currentStep: delta } },
    );
    return result.modifiedCount;
  }

  async countBy(sequenceId: Types.ObjectId): Promise<Record<string, number>> {
    const rows = await this.model.aggregate<{ _id: string; n: number }>([
      { $match: { sequenceId } },
      { $group: { _id: '$status', n: { $sum: 1 } } },
    ]);
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  }
}
