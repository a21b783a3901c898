import { Schema, type Connection, type Model, Types } from 'mongoose';

/** One admin action: who, what, when. */
export interface AuditEntry {
  _id: Types.ObjectId;
  adminId: number;
  action: string;
  details?: Record<string, unknown>;
  at: Date;
}

const auditSchema = new Schema<AuditEntry>(
  {
    adminId: { type: Number, required: true },
    action: { type: String, required: true },
    details: { type: Schema.Types.Mixed },
    at: { type: Date, required: true },
  },
  { collection: 'audit_log', versionKey: false },
);
auditSchema.index({ at: -1 });

/** The `audit_log` collection. Details must not hold full phone numbers or secrets. */
export class AuditRepository {
  readonly model: Model<AuditEntry>;

  constructor(connection: Connection) {
    this.model = connection.model<AuditEntry>('AuditEntry', auditSchema);
  }

  async record(adminId: number, action: string, details?: Record<string, unknown>): Promise<void> {
    await this.model.collection.insertOne({ adminId, action, details, at: new Date() });
  }

  async recent(limit = 20): Promise<AuditEntry[]> {
    return this.model.find({}).sort({ at: -1 }).limit(limit).lean<AuditEntry[]>();
  }
}
