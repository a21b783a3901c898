import { Schema, type Connection, type Model, Types } from 'mongoose';
import { MESSAGE_STATUSES, type MessageStatus } from '../domain/status.js';
import type { SendAttemptRepository } from './send-attempts.js';
import { isDuplicateKey } from './leads.js';

/** Where a message comes from; also its claim priority (lower goes first). */
export const MESSAGE_PRIORITY = { system: 0, sequence: 1, campaign: 2 } as const;
export type MessageKind = keyof typeof MESSAGE_PRIORITY;

/** One message to one lead: the unit of delivery, pacing, crash safety and reporting. */
export interface BroadcastMessage {
  _id: Types.ObjectId;
  kind: MessageKind;
  /**
   * Unique per logical message: `campaign:<campaignId>:<leadId>`,
   * `step:<enrollmentId>:<stepId>`, or `system:<purpose>:<...>`. One string field
   * instead of two compound indexes, because a compound unique index would also
   * collide on the fields a kind leaves empty and partial indexes are not available
   * on every server we support.
   */
  dedupeKey: string;
  campaignId?: Types.ObjectId;
  sequenceId?: Types.ObjectId;
  sequenceStepId?: Types.ObjectId;
  enrollmentId?: Types.ObjectId;
  leadId?: Types.ObjectId;
  to: string;
  content: string;
  mediaUrl?: string;
  status: MessageStatus;
  priority: number;
  notBefore: Date;
  /** Number of claims so far; the current send attempt is `${_id}:${attempt}`. */
  attempt: number;
  lastError?: string;
  claimedBy?: string;
  leaseUntil?: Date;
  sentAt?: Date;
  waMessageId?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What a producer (campaign start, sequence tick, opt-out) hands in. */
export type NewMessage = Pick<
  BroadcastMessage,
  'kind' | 'dedupeKey' | 'to' | 'content' | 'notBefore'
> &
  Partial<
    Pick<
      BroadcastMessage,
      'campaignId' | 'sequenceId' | 'sequenceStepId' | 'enrollmentId' | 'leadId' | 'mediaUrl'
    >
  >;

const messageSchema = new Schema<BroadcastMessage>(
  {
    kind: { type: String, enum: Object.keys(MESSAGE_PRIORITY), required: true },
    dedupeKey: { type: String, required: true },
    campaignId: Schema.Types.ObjectId,
    sequenceId: Schema.Types.ObjectId,
    sequenceStepId: Schema.Types.ObjectId,
    enrollmentId: Schema.Types.ObjectId,
    leadId: Schema.Types.ObjectId,
    to: { type: String, required: true },
    content: { type: String, required: true },
    mediaUrl: String,
    status: { type: String, enum: MESSAGE_STATUSES, default: 'pending' },
    priority: { type: Number, required: true },
    notBefore: { type: Date, required: true },
    attempt: { type: Number, default: 0 },
    lastError: String,
    claimedBy: String,
    leaseUntil: Date,
    sentAt: Date,
    waMessageId: String,
  },
  { collection: 'broadcast_messages', timestamps: true, versionKey: false },
);
messageSchema.index({ dedupeKey: 1 }, { unique: true });
messageSchema.index({ status: 1, priority: 1, notBefore: 1 });
messageSchema.index({ campaignId: 1, status: 1 });
messageSchema.index({ leadId: 1, status: 1 });
messageSchema.index({ status: 1, leaseUntil: 1 });
messageSchema.index({ status: 1, sentAt: 1 });
messageSchema.index({ waMessageId: 1 });

/** The due time of a message held back while its campaign is not running. */
export const PARKED_UNTIL = new Date(Date.UTC(9999, 0, 1));

const INSERT_BATCH = 1000;
const CLAIM_ORDER = [...new Set(Object.values(MESSAGE_PRIORITY))].sort((a, b) => a - b);

/** A message whose lease expired while its send attempt has no outcome: it may have gone out. */
export interface InDoubtMessage {
  message: BroadcastMessage;
  attemptStartedAt: Date;
}

/** The `broadcast_messages` collection: inserting, claiming, recording outcomes. */
export class MessageRepository {
  readonly model: Model<BroadcastMessage>;

  constructor(
    connection: Connection,
    private readonly attempts: SendAttemptRepository,
  ) {
    this.model = connection.model<BroadcastMessage>('BroadcastMessage', messageSchema);
  }

  /** Shapes a producer's message into the stored document (defaults filled in). */
  toDocument(
    message: NewMessage,
    now = new Date(),
  ): Omit<BroadcastMessage, '_id'> & { _id: Types.ObjectId } {
    return {
      _id: new Types.ObjectId(),
      ...message,
      status: 'pending',
      priority: MESSAGE_PRIORITY[message.kind],
      attempt: 0,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Inserts messages in unordered batches of 1000 straight through the driver (not
   * mongoose's per-document path). Messages whose `dedupeKey` exists are skipped, so a
   * second run inserts nothing. Returns how many were new.
   */
  async insertMany(messages: Iterable<NewMessage> | AsyncIterable<NewMessage>): Promise<number> {
    let inserted = 0;
    let batch: NewMessage[] = [];
    for await (const message of messages) {
      batch.push(message);
      if (batch.length >= INSERT_BATCH) {
        inserted += await this.insertBatch(batch);
        batch = [];
      }
    }
    if (batch.length) inserted += await this.insertBatch(batch);
    return inserted;
  }

  private async insertBatch(batch: NewMessage[]): Promise<number> {
    const now = new Date();
    try {
      const result = await this.model.collection.insertMany(
        batch.map((message) => this.toDocument(message, now)),
        { ordered: false },
      );
      return result.insertedCount;
    } catch (error) {
      const writeErrors = duplicateOnlyWriteErrors(error);
      if (writeErrors === null) throw error;
      return batch.length - writeErrors;
    }
  }

  /** Inserts one message; returns null when its `dedupeKey` already exists. */
  async insertOne(message: NewMessage): Promise<BroadcastMessage | null> {
    const doc = this.toDocument(message);
    try {
      await this.model.collection.insertOne(doc);
      return doc as BroadcastMessage;
    } catch (error) {
      if (isDuplicateKey(error)) return null;
      throw error;
    }
  }

  async findById(id: Types.ObjectId | string): Promise<BroadcastMessage | null> {
    if (!Types.ObjectId.isValid(id)) return null;
    return this.model.findById(id).lean<BroadcastMessage>();
  }

  /**
   * Takes a due `pending` message of the most urgent kind (system, then sequence,
   * then campaign) and marks it `queued` for `owner` until `now + leaseMs`, with the
   * next attempt number, in one findOneAndUpdate per kind. Among due messages of one
   * kind the order is the index's: no sort is asked for, because a sorted
   * findAndModify makes FerretDB sort every pending message in memory on each claim
   * (measured: 240 ms per claim with 2,000 pending). On servers that read then write
   * (see DESIGN.md) two callers can get the same message: only {@link passFence}
   * decides who sends it. `kinds` limits the claim to those kinds (e.g. only `system`
   * messages outside the send window).
   */
  async claimNext(
    owner: string,
    now: Date,
    leaseMs: number,
    kinds?: readonly MessageKind[],
  ): Promise<BroadcastMessage | null> {
    const wanted = kinds?.map((kind) => MESSAGE_PRIORITY[kind]);
    const order = wanted ? CLAIM_ORDER.filter((p) => wanted.includes(p)) : CLAIM_ORDER;
    for (const priority of order) {
      const claimed = await this.model
        .findOneAndUpdate(
          { status: 'pending', priority, notBefore: { $lte: now } },
          {
            $set: {
              status: 'queued',
              claimedBy: owner,
              leaseUntil: new Date(now.getTime() + leaseMs),
            },
            $inc: { attempt: 1 },
          },
          { returnDocument: 'after' },
        )
        .lean<BroadcastMessage>();
      if (claimed) return claimed;
    }
    return null;
  }

  /** The earliest `notBefore` among pending messages, to sleep until then. */
  async nextDueAt(): Promise<Date | null> {
    const next = await this.model
      .findOne({ status: 'pending' }, { notBefore: 1 })
      .sort({ notBefore: 1 })
      .lean<Pick<BroadcastMessage, 'notBefore'>>();
    return next?.notBefore ?? null;
  }

  /**
   * The fence: inserts the send attempt for the message's current attempt number.
   * Exactly one caller gets true for a given (message, attempt); every other caller
   * must drop the message without sending.
   */
  async passFence(message: BroadcastMessage, sender: string, now: Date): Promise<boolean> {
    return this.attempts.insert(message._id, message.attempt, sender, now);
  }

  /** Records a send that WhatsApp accepted: the attempt's outcome first, then the message. */
  async recordSent(message: BroadcastMessage, waMessageId: string, at: Date): Promise<void> {
    await this.attempts.finish(message._id, message.attempt, { outcome: 'sent', waMessageId, at });
    await this.model.updateOne(
      { _id: message._id, status: { $in: ['queued', 'unknown'] } },
      { $set: { status: 'sent', sentAt: at, waMessageId }, $unset: { leaseUntil: 1 } },
    );
  }

  /** Records a send that will never succeed (e.g. the number is not on WhatsApp). */
  async recordFailed(message: BroadcastMessage, reason: string, at: Date): Promise<void> {
    await this.attempts.finish(message._id, message.attempt, {
      outcome: 'failed',
      error: reason,
      at,
    });
    await this.model.updateOne(
      { _id: message._id, status: { $in: ['queued', 'unknown'] } },
      { $set: { status: 'failed', lastError: reason }, $unset: { leaseUntil: 1 } },
    );
  }

  /** Returns a message to `pending`, due again at `notBefore`, after a transient failure. */
  async recordRetry(message: BroadcastMessage, reason: string, notBefore: Date): Promise<void> {
    await this.attempts.finish(message._id, message.attempt, {
      outcome: 'retry',
      error: reason,
      at: new Date(),
    });
    await this.model.updateOne(
      { _id: message._id, status: 'queued', attempt: message.attempt },
      {
        $set: { status: 'pending', lastError: reason, notBefore },
        $unset: { leaseUntil: 1, claimedBy: 1 },
      },
    );
  }

  /** Gives back a claimed message that was not sent (its campaign paused, shutdown...). */
  async release(
    message: BroadcastMessage,
    status: 'pending' | 'cancelled' = 'pending',
  ): Promise<void> {
    await this.model.updateOne(
      { _id: message._id, status: 'queued', attempt: message.attempt },
      {
        $set: { status },
        $inc: { attempt: -1 },
        $unset: { leaseUntil: 1, claimedBy: 1 },
      },
    );
  }

  /**
   * Gives back a claimed message whose campaign is not running (paused, not yet
   * started): `pending` but due only at {@link PARKED_UNTIL}, so it is not claimed
   * again until {@link unparkCampaign}.
   */
  async park(message: BroadcastMessage): Promise<void> {
    await this.model.updateOne(
      { _id: message._id, status: 'queued', attempt: message.attempt },
      {
        $set: { status: 'pending', notBefore: PARKED_UNTIL },
        $inc: { attempt: -1 },
        $unset: { leaseUntil: 1, claimedBy: 1 },
      },
    );
  }

  /** Holds back a campaign's pending messages (it was paused); returns how many. */
  async parkCampaign(campaignId: Types.ObjectId): Promise<number> {
    const result = await this.model.updateMany(
      { campaignId, status: 'pending' },
      { $set: { notBefore: PARKED_UNTIL } },
    );
    return result.modifiedCount;
  }

  /** Makes a campaign's held-back messages due at `now` (it runs again); returns how many. */
  async unparkCampaign(campaignId: Types.ObjectId, now: Date): Promise<number> {
    const result = await this.model.updateMany(
      { campaignId, status: 'pending', notBefore: { $gte: PARKED_UNTIL } },
      { $set: { notBefore: now } },
    );
    return result.modifiedCount;
  }

  /**
   * Ends the leases `owner` holds, as at a restart of the process that owned them, so
   * {@link releaseExpiredLeases} settles them now instead of after the lease. Returns how many.
   */
  async expireLeasesOf(owner: string): Promise<number> {
    const result = await this.model.updateMany(
      { status: 'queued', claimedBy: owner },
      { $set: { leaseUntil: new Date(0) } },
    );
    return result.modifiedCount;
  }

  /**
   * Returns expired leases with no send attempt to `pending`, settles those whose
   * attempt has an outcome, and returns the rest: messages whose attempt began and
   * never finished, which only the transport can settle (`findSent`).
   */
  async releaseExpiredLeases(now: Date): Promise<InDoubtMessage[]> {
    const expired = await this.model
      .find({ status: 'queued', leaseUntil: { $lt: now } })
      .lean<BroadcastMessage[]>();
    const inDoubt: InDoubtMessage[] = [];

    for (const message of expired) {
      const attempt = await this.attempts.find(message._id, message.attempt);
      if (!attempt) {
        await this.release(message);
      } else if (attempt.outcome === 'sent') {
        await this.recordSent(message, attempt.waMessageId ?? '', attempt.finishedAt ?? now);
      } else if (attempt.outcome === 'failed') {
        await this.recordFailed(message, attempt.error ?? 'failed', attempt.finishedAt ?? now);
      } else if (attempt.outcome === 'retry') {
        await this.model.updateOne(
          { _id: message._id, status: 'queued' },
          { $set: { status: 'pending' }, $unset: { leaseUntil: 1, claimedBy: 1 } },
        );
      } else {
        inDoubt.push({ message, attemptStartedAt: attempt.startedAt });
      }
    }
    return inDoubt;
  }

  /** Marks a message `unknown`: it may have gone out; only an admin decides. */
  async markUnknown(message: BroadcastMessage, reason: string): Promise<void> {
    await this.model.updateOne(
      { _id: message._id, status: 'queued' },
      { $set: { status: 'unknown', lastError: reason }, $unset: { leaseUntil: 1 } },
    );
  }

  /** An admin's decision on an `unknown` message: it went out, or send it again. */
  async resolveUnknown(
    id: Types.ObjectId,
    decision: 'sent' | 'resend',
    now: Date,
  ): Promise<boolean> {
    const set =
      decision === 'sent'
        ? { status: 'sent', sentAt: now, lastError: 'marked sent by an admin' }
        : { status: 'pending', notBefore: now };
    const result = await this.model.updateOne({ _id: id, status: 'unknown' }, { $set: set });
    return result.modifiedCount === 1;
  }

  async findUnknown(limit = 20): Promise<BroadcastMessage[]> {
    return this.model
      .find({ status: 'unknown' })
      .sort({ updatedAt: 1 })
      .limit(limit)
      .lean<BroadcastMessage[]>();
  }

  /** Cancels a lead's pending (and unknown) messages, e.g. after an opt-out; returns how many. */
  async cancelForLead(leadId: Types.ObjectId): Promise<number> {
    const result = await this.model.updateMany(
      { leadId, status: { $in: ['pending', 'unknown'] }, kind: { $ne: 'system' } },
      { $set: { status: 'cancelled', lastError: 'lead opted out' } },
    );
    return result.modifiedCount;
  }

  /**
   * Cancels an enrollment's pending step messages (unenrolled, stopped on reply);
   * returns how many.
   */
  async cancelForEnrollment(enrollmentId: Types.ObjectId, reason: string): Promise<number> {
    const result = await this.model.updateMany(
      { enrollmentId, status: 'pending' },
      { $set: { status: 'cancelled', lastError: reason } },
    );
    return result.modifiedCount;
  }

  /** Cancels a campaign's pending messages; returns how many. */
  async cancelForCampaign(campaignId: Types.ObjectId): Promise<number> {
    const result = await this.model.updateMany(
      { campaignId, status: 'pending' },
      { $set: { status: 'cancelled', lastError: 'campaign cancelled' } },
    );
    return result.modifiedCount;
  }

  /** Counts messages by status among those matching `filter`. */
  async countByStatus(
    filter: Record<string, unknown> = {},
  ): Promise<Partial<Record<MessageStatus, number>>> {
    const rows = await this.model.aggregate<{ _id: MessageStatus; n: number }>([
      { $match: filter },
      { $group: { _id: '$status', n: { $sum: 1 } } },
    ]);
    return Object.fromEntries(rows.map((row) => [row._id, row.n]));
  }

  /** The most frequent failure reasons of a campaign, most frequent first. */
  async topFailureReasons(
    campaignId: Types.ObjectId,
    limit = 3,
  ): Promise<{ reason: string; count: number }[]> {
    const rows = await this.model.aggregate<{ _id: string; n: number }>([
      { $match: { campaignId, status: 'failed' } },
      { $group: { _id: '$lastError', n: { $sum: 1 } } },
      { $sort: { n: -1 } },
      { $limit: limit },
    ]);
    return rows.map((row) => ({ reason: row._id ?? 'unknown reason', count: row.n }));
  }

  /** How many messages went out since `since` (for hourly and daily caps). */
  async countSentSince(since: Date): Promise<number> {
    return this.model.countDocuments({ status: 'sent', sentAt: { $gte: since } });
  }

  /** When each message sent since `since` went out, oldest first (seeds the send caps). */
  async sentTimesSince(since: Date): Promise<Date[]> {
    const rows = await this.model
      .find({ status: 'sent', sentAt: { $gte: since } }, { sentAt: 1, _id: 0 })
      .lean<Pick<BroadcastMessage, 'sentAt'>[]>();
    const times = rows.flatMap((row) => (row.sentAt ? [row.sentAt] : []));
    return times.sort((a, b) => a.getTime() - b.getTime());
  }

  async findByWaMessageId(waMessageId: string): Promise<BroadcastMessage | null> {
    return this.model.findOne({ waMessageId }).lean<BroadcastMessage>();
  }
}

/** For a bulk insert error made only of duplicate keys, how many; otherwise null. */
function duplicateOnlyWriteErrors(error: unknown): number | null {
  if (typeof error !== 'object' || error === null || !('writeErrors' in error)) {
    return isDuplicateKey(error) ? 1 : null;
  }
  const raw = (error as { writeErrors: unknown }).writeErrors;
  const list = (Array.isArray(raw) ? raw : [raw]) as { code?: number; err?: { code?: number } }[];
  const allDuplicates = list.every((e) => (e.code ?? e.err?.code) === 11000);
  return allDuplicates ? list.length : null;
}
