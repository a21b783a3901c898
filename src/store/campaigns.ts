import { Schema, type Connection, type Model, Types } from 'mongoose';
import {
  assertCampaignTransition,
  CAMPAIGN_STATUSES,
  type CampaignStatus,
} from '../domain/status.js';
import type { Audience } from './leads.js';

/** One message to an audience, once. Figures are counted from its messages. */
export interface Campaign {
  _id: Types.ObjectId;
  title: string;
  message: string;
  /** An http(s) URL or an absolute path of an uploaded file. */
  imageUrl?: string;
  scheduledAt: Date;
  target: Audience;
  minDelaySeconds: number;
  maxDelaySeconds: number;
  status: CampaignStatus;
  createdBy?: number;
  startedAt?: Date;
  completedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export type CampaignInput = Pick<
  Campaign,
  'title' | 'message' | 'scheduledAt' | 'target' | 'minDelaySeconds' | 'maxDelaySeconds'
> &
  Partial<Pick<Campaign, 'imageUrl' | 'createdBy' | 'status'>>;

const campaignSchema = new Schema<Campaign>(
  {
    title: { type: String, required: true },
    message: { type: String, required: true },
    imageUrl: String,
    scheduledAt: { type: Date, required: true },
    target: {
      status: { type: String, enum: ['prospect', 'customer', 'all'], required: true },
      tags: { type: [String], default: undefined },
    },
    minDelaySeconds: { type: Number, required: true },
    maxDelaySeconds: { type: Number, required: true },
    status: { type: String, enum: CAMPAIGN_STATUSES, default: 'scheduled' },
    createdBy: Number,
    startedAt: Date,
    completedAt: Date,
  },
  { collection: 'campaigns', timestamps: true, versionKey: false },
);
campaignSchema.index({ status: 1, scheduledAt: 1 });

/** The `campaigns` collection. */
export class CampaignRepository {
  readonly model: Model<Campaign>;

  constructor(connection: Connection) {
    this.model = connection.model<Campaign>('Campaign', campaignSchema);
  }

  async create(input: CampaignInput): Promise<Campaign> {
    return (await this.model.create(input)).toObject();
  }

  async findById(id: Types.ObjectId | string): Promise<Campaign | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    return this.model.findById(id).lean<Campaign>();
  }

  /** Newest first, `limit` from `skip`. */
  async list(skip = 0, limit = 10): Promise<Campaign[]> {
    return this.model
      .find({})
      .sort({ createdAt: -1, _id: -1 })
      .skip(skip)
      .limit(limit)
      .lean<Campaign[]>();
  }

  async count(filter: Partial<Pick<Campaign, 'status'>> = {}): Promise<number> {
    return this.model.countDocuments(filter);
  }

  async findByStatus(statuses: CampaignStatus[]): Promise<Campaign[]> {
    return this.model.find({ status: { $in: statuses } }).lean<Campaign[]>();
  }

  /** Scheduled campaigns whose time has come (`scheduledAt <= now`). */
  async findDue(now: Date): Promise<Campaign[]> {
    return this.model
      .find({ status: 'scheduled', scheduledAt: { $lte: now } })
      .sort({ scheduledAt: 1 })
      .lean<Campaign[]>();
  }

  /**
   * Moves a campaign from its current status to `to` when allowed, with extra fields.
   * Throws TransitionError (naming the allowed states) when the change is not allowed;
   * returns null when the campaign does not exist or changed status meanwhile.
   */
  async transition(
    id: Types.ObjectId | string,
    to: CampaignStatus,
    fields: Partial<Pick<Campaign, 'startedAt' | 'completedAt'>> = {},
  ): Promise<Campaign | null> {
    const current = await this.findById(id);
    if (!current) return null;
    assertCampaignTransition(current.status, to);
    return this.model
      .findOneAndUpdate(
        { _id: current._id, status: current.status },
        { $set: { status: to, ...fields } },
        { returnDocument: 'after' },
      )
      .lean<Campaign>();
  }
}
