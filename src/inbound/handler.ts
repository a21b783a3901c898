import type { Types } from 'mongoose';
import type { AppEvents } from '../events.js';
import { isStopMessage } from '../domain/keywords.js';
import { maskPhone } from '../domain/phone.js';
import type { Temperature } from '../domain/status.js';
import { temperatureAfterInbound } from '../domain/temperature.js';
import { systemClock, type Clock } from '../domain/time.js';
import type { Logger } from '../log.js';
import type { SequenceService } from '../sequences/service.js';
import { isDuplicateKey, type Lead, type Sequence, type Store } from '../store/index.js';
import type { InboundEvent, Transport } from '../transport/port.js';

/** The one message an opted-out lead gets, unless the caller gives its own. */
export const DEFAULT_OPT_OUT_CONFIRMATION =
  'You are unsubscribed and will not get any more messages from us.';

/** What the handler needs. */
export interface InboundHandlerOptions {
  store: Store;
  sequences: SequenceService;
  events: AppEvents;
  log: Logger;
  /** Whole messages that opt a lead out (STOP_WORDS). */
  stopWords: readonly string[];
  /** Words that make a lead hot (HOT_KEYWORDS). */
  hotKeywords: readonly string[];
  clock?: Clock;
  optOutConfirmation?: string;
  /** Called when the handler queued a message (the opt-out confirmation): dispatcher `wake()`. */
  onMessagesCreated?: () => void;
}

/** What one inbound message did; also what tests and logs read. */
export type InboundOutcome =
  | { kind: 'repeat' }
  | { kind: 'ignored'; leadId: Types.ObjectId; reason: 'opted-out' }
  | { kind: 'opted-out'; leadId: Types.ObjectId; cancelled: number; confirmationQueued: boolean }
  | {
      kind: 'reply';
      leadId: Types.ObjectId;
      newLead: boolean;
      temperature: Temperature;
      stoppedEnrollments: number;
      enrolledIn: string[];
    };

/**
 * What a lead's message does. Always: the lead is found or created (a stranger becomes
 * a cold prospect named from their WhatsApp profile, source `whatsapp`) and the message
 * is stored; a repeat of a stored message id does nothing else. Then, unless the lead
 * opted out before: a STOP word opts them out (pending messages cancelled, enrollments
 * stopped, one confirmation queued); any other message warms them, stops enrollments
 * in `stopOnReply` sequences, enrolls them in sequences whose trigger it matches and
 * emits `lead-replied`.
 */
export class InboundHandler {
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly options: InboundHandlerOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log.child({ module: 'inbound' });
  }

  /** Handles every `inbound` event of `transport`; returns a function that stops it. */
  listen(transport: Pick<Transport, 'on' | 'off'>): () => void {
    const listener = (event: InboundEvent) => {
      this.handle(event).catch((error: unknown) => {
        this.log.error({ err: error, from: maskPhone(event.from) }, 'inbound message not handled');
      });
    };
    transport.on('inbound', listener);
    return () => void transport.off('inbound', listener);
  }

  /** Handles one message; see the class comment for what it does. */
  async handle(event: InboundEvent): Promise<InboundOutcome> {
    const now = this.clock.now();
    const { lead, created } = await this.findOrCreateLead(event);
    const stored = await this.options.store.inbound.record({
      _id: event.id,
      leadId: lead._id,
      from: event.from,
      text: event.text,
      hasMedia: event.hasMedia,
      receivedAt: now,
    });
    if (!stored) return { kind: 'repeat' };

    if (lead.optedOutAt) {
      await this.options.store.leads.update(lead._id, { lastInboundAt: now });
      return { kind: 'ignored', leadId: lead._id, reason: 'opted-out' };
    }
    if (isStopMessage(event.text, this.options.stopWords)) return this.optOut(lead, now);
    return this.reply(lead, event.text, created, now);
  }

  private async findOrCreateLead(event: InboundEvent): Promise<{ lead: Lead; created: boolean }> {
    const { leads } = this.options.store;
    const known = await leads.findByPhone(event.from);
    if (known) return { lead: await this.fillName(known, event), created: false };

    try {
      const name = event.profileName?.trim() ?? '';
      const lead = await leads.create({ phone: event.from, name, source: 'whatsapp' });
      this.log.info({ leadId: String(lead._id), from: maskPhone(event.from) }, 'new lead');
      return { lead, created: true };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return { lead: (await leads.findByPhone(event.from))!, created: false };
    }
  }

  /** A lead imported without a name takes the one from their WhatsApp profile. */
  private async fillName(lead: Lead, event: InboundEvent): Promise<Lead> {
    const name = event.profileName?.trim();
    if (lead.name || !name) return lead;
    return (await this.options.store.leads.update(lead._id, { name })) ?? lead;
  }

  private async optOut(lead: Lead, now: Date): Promise<InboundOutcome> {
    const { store } = this.options;
    await store.leads.optOut(lead._id, now);
    await store.leads.update(lead._id, { lastInboundAt: now });
    const stopped = await store.enrollments.stop({ leadId: lead._id }, 'opted out');
    const cancelled = await store.messages.cancelForLead(lead._id);

    const confirmation = await store.messages.insertOne({
      kind: 'system',
      dedupeKey: `system:optout:${lead._id}`,
      leadId: lead._id,
      to: lead.phone,
      content: this.options.optOutConfirmation ?? DEFAULT_OPT_OUT_CONFIRMATION,
      notBefore: now,
    });
    if (confirmation) this.options.onMessagesCreated?.();

    this.log.info({ leadId: String(lead._id), stopped, cancelled }, 'lead opted out');
    return { kind: 'opted-out', leadId: lead._id, cancelled, confirmationQueued: !!confirmation };
  }

  private async reply(lead: Lead, text: string, newLead: boolean, now: Date) {
    const { store, sequences } = this.options;
    const temperature = temperatureAfterInbound(
      lead.temperature,
      { isReply: !newLead, text },
      this.options.hotKeywords,
    );
    await store.leads.update(lead._id, { lastInboundAt: now, temperature });

    const matched = await sequences.matchingSequences(text);
    const stoppedEnrollments = await this.stopOnReply(lead._id, matched);
    const enrolledIn: string[] = [];
    for (const sequence of matched) {
      const outcome = await sequences.enroll(sequence._id, lead._id, 'trigger');
      if (outcome.status === 'enrolled') enrolledIn.push(sequence.name);
    }

    this.options.events.emit('lead-replied', String(lead._id), text);
    const outcome: InboundOutcome = {
      kind: 'reply',
      leadId: lead._id,
      newLead,
      temperature,
      stoppedEnrollments,
      enrolledIn,
    };
    this.log.debug({ ...outcome, leadId: String(lead._id) }, 'inbound message handled');
    return outcome;
  }

  /**
   * Stops the lead's enrollments in `stopOnReply` sequences and cancels their step
   * messages not yet sent. A message that repeats such a sequence's own trigger does not
   * stop it: the lead is asking for it, not answering it.
   */
  private async stopOnReply(leadId: Types.ObjectId, matched: Sequence[]): Promise<number> {
    const { store } = this.options;
    const triggered = new Set(matched.map((sequence) => String(sequence._id)));
    let stopped = 0;

    for (const enrollment of await store.enrollments.findActiveByLead(leadId)) {
      if (triggered.has(String(enrollment.sequenceId))) continue;
      const sequence = await store.sequences.findById(enrollment.sequenceId);
      if (!sequence?.stopOnReply) continue;

      stopped += await store.enrollments.stop({ _id: enrollment._id }, 'lead replied');
      await store.messages.cancelForEnrollment(enrollment._id, 'lead replied');
    }
    return stopped;
  }
}
