import { Schema, type Connection, type Model, Types } from 'mongoose';
import { isDuplicateKey } from './leads.js';

export type AttemptOutcome = 'sent' | 'failed' | 'retry';

/** One try at sending one message; `_id` = `<messageId>:<attempt>`, the fence. */
export interface SendAttempt {
  _id: string;
  messageId: Types.ObjectId;
  attempt: number;
  sender: string;
  startedAt: Date;
  outcome?: AttemptOutcome;
  finishedAt?: Date;
  waMessageId?: string;
  error?: string;
}

const sendAttemptSchema = new Schema<SendAttempt>(
  {
    _id: { type: String, required: true },
    messageId: { type: Schema.Types.ObjectId, required: true },
    attempt: { type: Number, required: true },
    sender: { type: String, required: true },
    startedAt: { type: Date, required: true },
    outcome: { type: String, enum: ['sent', 'failed', 'retry'] },
    finishedAt: Date,
    waMessageId: String,
    error: String,
  },
  { collection: 'send_attempts', versionKey: false },
);
sendAttemptSchema.index({ messageId: 1 });

/** The key of a send attempt. */
export function attemptKey(messageId: Types.ObjectId, attempt: number): string {
  return `${messageId.toHexString()}:${attempt}`;
}

/** The `send_attempts` collection. */
export class SendAttemptRepository {
  readonly model: Model<SendAttempt>;

  constructor(connection: Connection) {
    this.model = connection.model<SendAttempt>('SendAttempt', sendAttemptSchema);
  }

  /** Inserts the attempt; false when it exists (another sender holds it). */
  async insert(
    messageId: Types.ObjectId,
    attempt: number,
    sender: string,
    now: Date,
  ): Promise<boolean> {
    try {
      await this.model.collection.insertOne({
        _id: attemptKey(messageId, attempt) as never,
        messageId,
        attempt,
        sender,
        startedAt: now,
      });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  async find(messageId: Types.ObjectId, attempt: number): Promise<SendAttempt | null> {
    return this.model.findById(attemptKey(messageId, attempt)).lean<SendAttempt>();
  }

  async finish(
    messageId: Types.ObjectId,
    attempt: number,
    result: { outcome: AttemptOutcome; at: Date; waMessageId?: string; error?: string },
  ): Promise<void> {
    const set: Record<string, unknown> = { outcome: result.outcome, finishedAt: result.at };
    if (result.waMessageId) set.waMessageId = result.waMessageId;
    if (result.error) set.error = result.error;
    await this.model.updateOne({ _id: attemptKey(messageId, attempt) }, { $set: set });
  }

  async listFor(messageId: Types.ObjectId): Promise<SendAttempt[]> {
    return this.model.find({ messageId }).sort({ attempt: 1 }).lean<SendAttempt[]>();
  }
}
