import { Schema, type Connection, type Model, Types } from 'mongoose';
import { isDuplicateKey } from './leads.js';

/** A message a lead wrote to us. `_id` is WhatsApp's message id, so a repeat is stored once. */
export interface InboundMessage {
  _id: string;
  leadId: Types.ObjectId;
  from: string;
  text: string;
  hasMedia: boolean;
  receivedAt: Date;
}

const inboundSchema = new Schema<InboundMessage>(
  {
    _id: { type: String, required: true },
    leadId: { type: Schema.Types.ObjectId, required: true },
    from: { type: String, required: true },
    text: { type: String, default: '' },
    hasMedia: { type: Boolean, default: false },
    receivedAt: { type: Date, required: true },
  },
  { collection: 'inbound_messages', versionKey: false },
);
inboundSchema.index({ leadId: 1, receivedAt: -1 });

/** The `inbound_messages` collection. */
export class InboundRepository {
  readonly model: Model<InboundMessage>;

  constructor(connection: Connection) {
    this.model = connection.model<InboundMessage>('InboundMessage', inboundSchema);
  }

  /** Stores the message; false when this WhatsApp message id was stored before. */
  async record(message: InboundMessage): Promise<boolean> {
    try {
      await this.model.collection.insertOne(message as never);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** True when the lead wrote anything after `since`. */
  async hasReplySince(leadId: Types.ObjectId, since: Date): Promise<boolean> {
    return (await this.model.exists({ leadId, receivedAt: { $gt: since } })) !== null;
  }

  async recentForLead(leadId: Types.ObjectId, limit = 5): Promise<InboundMessage[]> {
    return this.model
      .find({ leadId })
      .sort({ receivedAt: -1 })
      .limit(limit)
      .lean<InboundMessage[]>();
  }
}
