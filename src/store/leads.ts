import { Schema, type Connection, type Model, Types } from 'mongoose';
import type { LeadStatus, Temperature } from '../domain/status.js';
import { LEAD_STATUSES, TEMPERATURES } from '../domain/status.js';

/** Someone we may message. */
export interface Lead {
  _id: Types.ObjectId;
  phone: string;
  name: string;
  status: LeadStatus;
  temperature: Temperature;
  tags: string[];
  timezone?: string;
  optedOutAt?: Date;
  lastInboundAt?: Date;
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

export type LeadInput = Pick<Lead, 'phone'> &
  Partial<Pick<Lead, 'name' | 'status' | 'temperature' | 'tags' | 'timezone' | 'source'>>;

/** Who a campaign is for. */
export interface Audience {
  status: LeadStatus | 'all';
  tags?: string[];
}

const leadSchema = new Schema<Lead>(
  {
    phone: { type: String, required: true },
    name: { type: String, default: '' },
    status: { type: String, enum: LEAD_STATUSES, default: 'prospect' },
    temperature: { type: String, enum: TEMPERATURES, default: 'cold' },
    tags: { type: [String], default: [] },
    timezone: String,
    optedOutAt: Date,
    lastInboundAt: Date,
    source: { type: String, default: 'admin' },
  },
  { collection: 'leads', timestamps: true, versionKey: false },
);
leadSchema.index({ phone: 1 }, { unique: true });
leadSchema.index({ status: 1, optedOutAt: 1 });
leadSchema.index({ tags: 1 });

/** Counts of leads by a field's value. */
export type CountsBy = Record<string, number>;

/** The `leads` collection. */
export class LeadRepository {
  readonly model: Model<Lead>;

  constructor(connection: Connection) {
    this.model = connection.model<Lead>('Lead', leadSchema);
  }

  async findById(id: Types.ObjectId | string): Promise<Lead | null> {
    return this.model.findById(id).lean<Lead>();
  }

  async findByPhone(phone: string): Promise<Lead | null> {
    return this.model.findOne({ phone }).lean<Lead>();
  }

  /** Inserts a lead; throws a duplicate-key error when the phone is known. */
  async create(input: LeadInput): Promise<Lead> {
    const doc = await this.model.create(input);
    return doc.toObject();
  }

  /**
   * Creates the lead, or updates the given fields of the one with that phone.
   * Returns the lead and whether it was new. Safe to race: the unique index on
   * `phone` decides, and the loser updates instead.
   */
  async upsert(input: LeadInput): Promise<{ lead: Lead; created: boolean }> {
    const { phone, ...fields } = input;
    const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const existing = await this.updateByPhone(phone, set);
    if (existing) return { lead: existing, created: false };
    try {
      return { lead: await this.create(input), created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return { lead: (await this.updateByPhone(phone, set))!, created: false };
    }
  }

  private async updateByPhone(phone: string, set: Record<string, unknown>) {
    if (Object.keys(set).length === 0) return this.findByPhone(phone);
    return this.model
      .findOneAndUpdate({ phone }, { $set: set }, { returnDocument: 'after' })
      .lean<Lead>();
  }

  /** Updates fields of one lead; returns the lead after the change, or null. */
  async update(
    id: Types.ObjectId,
    fields: Partial<Omit<Lead, '_id' | 'phone' | 'createdAt' | 'updatedAt'>>,
  ): Promise<Lead | null> {
    return this.model
      .findByIdAndUpdate(id, { $set: fields }, { returnDocument: 'after' })
      .lean<Lead>();
  }

  async addTags(id: Types.ObjectId, tags: string[]): Promise<Lead | null> {
    return this.model
      .findByIdAndUpdate(id, { $addToSet: { tags: { $each: tags } } }, { returnDocument: 'after' })
      .lean<Lead>();
  }

  /** `$pullAll`, not `$pull` with `$in`: FerretDB 1.24 matches the latter and removes nothing. */
  async removeTags(id: Types.ObjectId, tags: string[]): Promise<Lead | null> {
    return this.model
      .findByIdAndUpdate(id, { $pullAll: { tags } }, { returnDocument: 'after' })
      .lean<Lead>();
  }

  /** Marks the lead opted out (keeps the first opt-out time). */
  async optOut(id: Types.ObjectId, at: Date): Promise<void> {
    await this.model.updateOne({ _id: id, optedOutAt: null }, { $set: { optedOutAt: at } });
  }

  /** The filter for leads a campaign with this audience may message. */
  audienceFilter(audience: Audience): Record<string, unknown> {
    const filter: Record<string, unknown> = { optedOutAt: null };
    if (audience.status !== 'all') filter.status = audience.status;
    if (audience.tags?.length) filter.tags = { $in: audience.tags };
    return filter;
  }

  async countAudience(audience: Audience): Promise<number> {
    return this.model.countDocuments(this.audienceFilter(audience));
  }

  /** Streams the audience's `_id`, `phone`, `name` in `_id` order, without loading all. */
  audienceCursor(audience: Audience) {
    return this.model
      .find(this.audienceFilter(audience), { phone: 1, name: 1 })
      .sort({ _id: 1 })
      .lean<Pick<Lead, '_id' | 'phone' | 'name'>>()
      .cursor({ batchSize: 1000 });
  }

  /** Streams every lead in `_id` order (exports). */
  cursor() {
    return this.model.find({}).sort({ _id: 1 }).lean<Lead>().cursor({ batchSize: 1000 });
  }

  async countBy(field: 'status' | 'temperature'): Promise<CountsBy> {
    const rows = await this.model.aggregate<{ _id: string; n: number }>([
      { $match: { optedOutAt: null } },
      { $group: { _id: `$${field}`, n: { $sum: 1 } } },
    ]);
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  }

  async countOptedOut(): Promise<number> {
    return this.model.countDocuments({ optedOutAt: { $ne: null } });
  }

  async count(): Promise<number> {
    return this.model.countDocuments({});
  }
}

/** True for MongoDB's duplicate key error (code 11000). */
export function isDuplicateKey(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    (error as { code: unknown }).code === 11000
  );
}
