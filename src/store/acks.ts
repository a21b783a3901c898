import { Schema, type Connection, type Model, Types } from 'mongoose';

export type AckStatus = 'server' | 'delivered' | 'read' | 'error';

/** One delivery report from WhatsApp, appended rather than merged into the message. */
export interface MessageAck {
  _id: Types.ObjectId;
  waMessageId: string;
  status: AckStatus;
  messageId?: Types.ObjectId;
  campaignId?: Types.ObjectId;
  at: Date;
}

const ackSchema = new Schema<MessageAck>(
  {
    waMessageId: { type: String, required: true },
    status: { type: String, enum: ['server', 'delivered', 'read', 'error'], required: true },
    messageId: Schema.Types.ObjectId,
    campaignId: Schema.Types.ObjectId,
    at: { type: Date, required: true },
  },
  { collection: 'message_acks', versionKey: false },
);
ackSchema.index({ waMessageId: 1, status: 1 }, { unique: true });
ackSchema.index({ campaignId: 1, status: 1 });

/** The `message_acks` collection. */
export class AckRepository {
  readonly model: Model<MessageAck>;

  constructor(connection: Connection) {
    this.model = connection.model<MessageAck>('MessageAck', ackSchema);
  }

  /** Appends an ack; a repeat of the same (message, status) is ignored. */
  async record(ack: Omit<MessageAck, '_id'>): Promise<void> {
    await this.model.updateOne(
      { waMessageId: ack.waMessageId, status: ack.status },
      { $setOnInsert: ack },
      { upsert: true },
    );
  }

  /** Distinct messages of a campaign per ack status (a read message counts as delivered too). */
  async countForCampaign(campaignId: Types.ObjectId): Promise<{ delivered: number; read: number }> {
    const rows = await this.model.aggregate<{ _id: AckStatus; n: number }>([
      { $match: { campaignId } },
      { $group: { _id: '$status', n: { $sum: 1 } } },
    ]);
    const counts = Object.fromEntries(rows.map((row) => [row._id, row.n]));
    const read = counts.read ?? 0;
    return { delivered: Math.max(counts.delivered ?? 0, read), read };
  }
}
