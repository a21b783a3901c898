import { Schema, type Connection, type Model, Types } from 'mongoose';
import { TEMPERATURES, type Temperature } from '../domain/status.js';

/** When a step is sent only to some leads. */
export interface StepCondition {
  /** Send only when the lead's temperature is one of these. */
  temperatureIn?: Temperature[];
  /** Send only when the lead has not written since the enrollment began. */
  noReplySinceEnrollment?: boolean;
}

/**
 * One message of a sequence, sent on day `dayNumber` of a lead's enrollment (day 1 is
 * the day they enrolled).
 */
export interface SequenceStep {
  _id: Types.ObjectId;
  dayNumber: number;
  /** Local time of day, HH:MM; without it the step goes at the enrollment's time of day. */
  sendTime?: string;
  content: string;
  mediaUrl?: string;
  condition?: StepCondition;
  setTemperature?: Temperature;
}

/** How a lead's message is matched against trigger keywords. */
export type TriggerMatch = 'exact' | 'contains';

/** A series of messages over days that each lead walks through on their own clock. */
export interface Sequence {
  _id: Types.ObjectId;
  name: string;
  description?: string;
  trigger: { keywords: string[]; match: TriggerMatch };
  active: boolean;
  stopOnReply: boolean;
  allowReentry: boolean;
  steps: SequenceStep[];
  totalDays: number;
  createdBy?: number;
  createdAt: Date;
  updatedAt: Date;
}

export type SequenceInput = Pick<Sequence, 'name' | 'trigger'> &
  Partial<
    Pick<Sequence, 'description' | 'active' | 'stopOnReply' | 'allowReentry' | 'createdBy'>
  > & {
    steps: Omit<SequenceStep, '_id'>[];
  };

const stepSchema = new Schema<SequenceStep>(
  {
    dayNumber: { type: Number, required: true, min: 1 },
    sendTime: String,
    content: { type: String, required: true },
    mediaUrl: String,
    condition: {
      type: {
        temperatureIn: { type: [String], enum: TEMPERATURES, default: undefined },
        noReplySinceEnrollment: Boolean,
      },
      default: undefined,
      _id: false,
    },
    setTemperature: { type: String, enum: TEMPERATURES },
  },
  { _id: true },
);

const sequenceSchema = new Schema<Sequence>(
  {
    name: { type: String, required: true },
    description: String,
    trigger: {
      keywords: { type: [String], default: [] },
      match: { type: String, enum: ['exact', 'contains'], default: 'contains' },
    },
    active: { type: Boolean, default: true },
    stopOnReply: { type: Boolean, default: false },
    allowReentry: { type: Boolean, default: false },
    steps: { type: [stepSchema], default: [] },
    totalDays: { type: Number, default: 0 },
    createdBy: Number,
  },
  { collection: 'sequences', timestamps: true, versionKey: false },
);
sequenceSchema.index({ name: 1 }, { unique: true });
sequenceSchema.index({ active: 1 });

/** The last step's day: how many days a sequence lasts. */
export function totalDaysOf(steps: Pick<SequenceStep, 'dayNumber'>[]): number {
  return steps.reduce((max, step) => Math.max(max, step.dayNumber), 0);
}

/** The `sequences` collection; steps are embedded. */
export class SequenceRepository {
  readonly model: Model<Sequence>;

  constructor(connection: Connection) {
    this.model = connection.model<Sequence>('Sequence', sequenceSchema);
  }

  async create(input: SequenceInput): Promise<Sequence> {
    const doc = await this.model.create({ ...input, totalDays: totalDaysOf(input.steps) });
    return doc.toObject();
  }

  async findById(id: Types.ObjectId | string): Promise<Sequence | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    return this.model.findById(id).lean<Sequence>();
  }

  async findByName(name: string): Promise<Sequence | null> {
    return this.model.findOne({ name }).lean<Sequence>();
  }

  async findActive(): Promise<Sequence[]> {
    return this.model.find({ active: true }).lean<Sequence[]>();
  }

  async list(skip = 0, limit = 10): Promise<Sequence[]> {
    return this.model
      .find({})
      .sort({ createdAt: -1, _id: -1 })
      .skip(skip)
      .limit(limit)
      .lean<Sequence[]>();
  }

  async count(): Promise<number> {
    return this.model.countDocuments({});
  }

  /** Replaces the steps (already validated and ordered) and re-derives `totalDays`. */
  async setSteps(id: Types.ObjectId, steps: SequenceStep[]): Promise<Sequence | null> {
    return this.model
      .findByIdAndUpdate(
        id,
        { $set: { steps, totalDays: totalDaysOf(steps) } },
        { returnDocument: 'after' },
      )
      .lean<Sequence>();
  }

  async update(
    id: Types.ObjectId,
    fields: Partial<
      Pick<Sequence, 'active' | 'stopOnReply' | 'allowReentry' | 'description' | 'trigger'>
    >,
  ): Promise<Sequence | null> {
    return this.model
      .findByIdAndUpdate(id, { $set: fields }, { returnDocument: 'after' })
      .lean<Sequence>();
  }
}
