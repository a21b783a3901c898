import { Types } from 'mongoose';
import { parseNewCampaign, type CampaignRules } from '../domain/campaign.js';
import { TransitionError, type CampaignStatus } from '../domain/status.js';
import type { Clock } from '../domain/time.js';
import type { AppEvents, CampaignFigures } from '../events.js';
import type { Logger } from '../log.js';
import type { Campaign, Store } from '../store/index.js';
import type { AckEvent, Transport } from '../transport/port.js';
import { campaignMessages } from './audience.js';

/** Puts a campaign's start on the job schedule (Agenda in the app; see campaign-jobs). */
export interface CampaignScheduler {
  scheduleStart(campaignId: string, at: Date): Promise<void>;
  unscheduleStart(campaignId: string): Promise<void>;
}

/** What a {@link CampaignService} is built from. */
export interface CampaignServiceDeps {
  store: Store;
  events: AppEvents;
  log: Logger;
  clock: Clock;
  rules: CampaignRules;
  /** Without one, the watcher's catch-up starts due campaigns. */
  scheduler?: CampaignScheduler;
  /** Called when messages become due (the dispatcher's `wake`). */
  wake?: () => void;
}

/** What {@link CampaignService.create} did. */
export type CreateCampaignOutcome =
  { ok: true; campaign: Campaign } | { ok: false; problems: string[] };

/** What {@link CampaignService.start} did. */
export type StartOutcome =
  { started: true; recipients: number } | { started: false; reason: string };

/** No campaign has the id the caller gave. */
export class CampaignNotFoundError extends Error {
  override name = 'CampaignNotFoundError';
  constructor(readonly campaignId: string) {
    super(`no campaign has the id ${campaignId}; list campaigns to find the right one`);
  }
}

/** The campaign is not in a state that allows what was asked; the message says why. */
export class CampaignStateError extends Error {
  override name = 'CampaignStateError';
}

/** How many times an ack lookup waits for the sender to record the message id. */
const ACK_LOOKUPS = 3;
const ACK_LOOKUP_GAP_MS = 300;

/**
 * Campaigns from creation to completion: create (validated, `scheduled`, its start put
 * on the schedule), start (the audience snapshot into broadcast_messages, then
 * `running`), pause, resume, cancel, figures, completion and the catch-up of starts
 * missed while the bot was down. Every step is safe to run twice: messages are unique
 * per (campaign, lead) and status changes go through the campaign status machine.
 */
export class CampaignService {
  private readonly log: Logger;
  private readonly starting = new Map<string, Promise<StartOutcome>>();
  private readonly lastProgress = new Map<string, string>();

  constructor(private readonly deps: CampaignServiceDeps) {
    this.log = deps.log.child({ module: 'campaigns' });
  }

  /** Validates and stores a new campaign as `scheduled`, and schedules its start. */
  async create(input: unknown): Promise<CreateCampaignOutcome> {
    const parsed = parseNewCampaign(input, this.deps.rules);
    if (!parsed.ok) return parsed;

    const fields = { ...parsed.campaign, status: 'scheduled' as const };
    const campaign = await this.deps.store.campaigns.create(fields);
    const id = campaign._id.toHexString();
    await this.deps.scheduler?.scheduleStart(id, campaign.scheduledAt);
    this.log.info({ campaignId: id, scheduledAt: campaign.scheduledAt }, 'campaign scheduled');
    return { ok: true, campaign };
  }

  /**
   * Starts a due `scheduled` campaign: inserts one message per matching lead who has
   * not opted out (a rerun inserts only what is missing), then sets `running`, emits
   * `campaign-started` and wakes the dispatcher. Anything else is left alone, so a
   * second run, or a run for a paused or cancelled campaign, does nothing.
   */
  start(campaignId: Types.ObjectId | string): Promise<StartOutcome> {
    const key = String(campaignId);
    const running = this.starting.get(key);
    if (running) return running;
    const run = this.startOnce(key).finally(() => this.starting.delete(key));
    this.starting.set(key, run);
    return run;
  }

  private async startOnce(id: string): Promise<StartOutcome> {
    const { store, clock } = this.deps;
    const campaign = await store.campaigns.findById(id);
    if (!campaign) return { started: false, reason: 'no such campaign' };
    if (campaign.status !== 'scheduled') {
      return { started: false, reason: `it is ${campaign.status}` };
    }
    const now = clock.now();
    if (campaign.scheduledAt > now) return { started: false, reason: 'not due yet' };

    const leads = store.leads.audienceCursor(campaign.target);
    const inserted = await store.messages.insertMany(campaignMessages(campaign, leads, now));
    const running = await this.moveTo(campaign, 'running', { startedAt: now });
    if (!running) return this.abandonStart(campaign);

    await store.messages.unparkCampaign(campaign._id, now);
    const recipients = (await this.figures(campaign._id)).total;
    this.log.info({ campaignId: id, recipients, inserted }, 'campaign started');
    this.deps.events.emit('campaign-started', id, campaign.title, recipients);
    this.deps.wake?.();
    return { started: true, recipients };
  }

  /** The campaign changed while its audience was inserted (cancelled, most likely). */
  private async abandonStart(campaign: Campaign): Promise<StartOutcome> {
    const current = await this.deps.store.campaigns.findById(campaign._id);
    if (current?.status === 'cancelled') {
      await this.deps.store.messages.cancelForCampaign(campaign._id);
    }
    return { started: false, reason: `it became ${current?.status ?? 'deleted'} meanwhile` };
  }

  /** Pauses a running campaign; its messages are held back before the next send. */
  async pause(campaignId: Types.ObjectId | string): Promise<Campaign> {
    const campaign = await this.transition(campaignId, 'paused');
    await this.deps.store.messages.parkCampaign(campaign._id);
    this.log.info({ campaignId: String(campaignId) }, 'campaign paused');
    return campaign;
  }

  /** Resumes a paused campaign where it stopped (nothing is sent twice). */
  async resume(campaignId: Types.ObjectId | string): Promise<Campaign> {
    const current = await this.find(campaignId);
    if (current.status !== 'paused') {
      throw new CampaignStateError(
        `only a paused campaign can be resumed; this one is ${current.status}`,
      );
    }
    const campaign = await this.transition(campaignId, 'running');
    await this.deps.store.messages.unparkCampaign(campaign._id, this.deps.clock.now());
    this.log.info({ campaignId: String(campaignId) }, 'campaign resumed');
    this.deps.wake?.();
    return campaign;
  }

  /** Cancels a campaign; its messages not yet sent become `cancelled`. Returns how many. */
  async cancel(
    campaignId: Types.ObjectId | string,
  ): Promise<{ campaign: Campaign; cancelled: number }> {
    const campaign = await this.transition(campaignId, 'cancelled');
    const cancelled = await this.deps.store.messages.cancelForCampaign(campaign._id);
    await this.deps.scheduler?.unscheduleStart(campaign._id.toHexString());
    this.log.info({ campaignId: String(campaignId), cancelled }, 'campaign cancelled');
    return { campaign, cancelled };
  }

  /** Totals counted from the campaign's messages, and delivered/read from its acks. */
  async figures(campaignId: Types.ObjectId | string): Promise<CampaignFigures> {
    if (!Types.ObjectId.isValid(campaignId)) throw new CampaignNotFoundError(String(campaignId));
    const id = new Types.ObjectId(String(campaignId));
    const counts = await this.deps.store.messages.countByStatus({ campaignId: id });
    const acks = await this.deps.store.acks.countForCampaign(id);
    const figures: CampaignFigures = {
      total: 0,
      pending: counts.pending ?? 0,
      queued: counts.queued ?? 0,
      sent: counts.sent ?? 0,
      failed: counts.failed ?? 0,
      cancelled: counts.cancelled ?? 0,
      unknown: counts.unknown ?? 0,
      ...acks,
    };
    figures.total = Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
    return figures;
  }

  /**
   * One pass of the watcher: starts campaigns whose time has come (also those missed
   * while the bot was down), completes running ones with nothing left to send, and
   * emits `campaign-progress` when a running campaign's figures changed.
   */
  async watch(): Promise<void> {
    await this.startMissed();
    await this.completeFinished();
  }

  /** Starts every `scheduled` campaign whose time has passed; returns how many started. */
  async startMissed(): Promise<number> {
    const due = await this.deps.store.campaigns.findDue(this.deps.clock.now());
    let started = 0;
    for (const campaign of due) {
      if ((await this.start(campaign._id)).started) started += 1;
    }
    return started;
  }

  /**
   * Completes each running campaign with no message pending, queued or unknown and
   * emits `campaign-finished` with its figures; reports progress on the others.
   * Returns how many completed.
   */
  async completeFinished(): Promise<number> {
    const { store, clock } = this.deps;
    let completed = 0;
    for (const campaign of await store.campaigns.findByStatus(['running'])) {
      const figures = await this.figures(campaign._id);
      if (figures.pending + figures.queued + figures.unknown > 0) {
        await store.messages.unparkCampaign(campaign._id, clock.now());
        this.reportProgress(campaign, figures);
        continue;
      }
      const done = await this.moveTo(campaign, 'completed', { completedAt: clock.now() });
      if (!done) continue;
      completed += 1;
      const id = campaign._id.toHexString();
      this.lastProgress.delete(id);
      this.log.info({ campaignId: id, ...figures }, 'campaign completed');
      this.deps.events.emit('campaign-finished', id, campaign.title, figures);
    }
    return completed;
  }

  /**
   * Records a delivery report against the message (and campaign) it belongs to. The
   * `server` ack is not kept: only delivered, read and error count. An ack can arrive
   * before the sender has stored the WhatsApp id, so the lookup is tried a few times.
   */
  async recordAck(ack: AckEvent): Promise<void> {
    if (ack.status === 'server') return;
    const messages = this.deps.store.messages;
    for (let lookup = 1; lookup <= ACK_LOOKUPS; lookup++) {
      const message = await messages.findByWaMessageId(ack.waMessageId);
      if (message) {
        await this.deps.store.acks.record({
          waMessageId: ack.waMessageId,
          status: ack.status,
          messageId: message._id,
          campaignId: message.campaignId,
          at: ack.at,
        });
        return;
      }
      if (lookup < ACK_LOOKUPS) await new Promise((r) => setTimeout(r, ACK_LOOKUP_GAP_MS));
    }
    this.log.debug({ waMessageId: ack.waMessageId }, 'ack for a message we did not send; ignored');
  }

  /** Records every ack the transport reports; returns a function that stops listening. */
  listenForAcks(transport: Transport): () => void {
    const onAck = (ack: AckEvent) => {
      this.recordAck(ack).catch((error: unknown) => {
        this.log.warn({ err: error, waMessageId: ack.waMessageId }, 'could not record an ack');
      });
    };
    transport.on('ack', onAck);
    return () => transport.off('ack', onAck);
  }

  private reportProgress(campaign: Campaign, figures: CampaignFigures): void {
    const id = campaign._id.toHexString();
    const fingerprint = JSON.stringify(figures);
    if (this.lastProgress.get(id) === fingerprint) return;
    this.lastProgress.set(id, fingerprint);
    this.deps.events.emit('campaign-progress', id, figures);
  }

  private async find(campaignId: Types.ObjectId | string): Promise<Campaign> {
    const campaign = await this.deps.store.campaigns.findById(campaignId);
    if (!campaign) throw new CampaignNotFoundError(String(campaignId));
    return campaign;
  }

  /**
   * Moves a campaign to `to` through the status machine. Throws TransitionError (it
   * names the allowed changes) or CampaignNotFoundError.
   */
  private async transition(
    campaignId: Types.ObjectId | string,
    to: CampaignStatus,
  ): Promise<Campaign> {
    const campaign = await this.find(campaignId);
    const moved = await this.deps.store.campaigns.transition(campaign._id, to);
    if (moved) return moved;
    // It changed between the read and the write: check again against its new status.
    const again = await this.deps.store.campaigns.transition(campaign._id, to);
    if (!again) throw new CampaignNotFoundError(String(campaignId));
    return again;
  }

  /** Like {@link transition} for internal moves: null instead of throwing when refused. */
  private async moveTo(
    campaign: Campaign,
    to: CampaignStatus,
    fields: Partial<Pick<Campaign, 'startedAt' | 'completedAt'>>,
  ): Promise<Campaign | null> {
    try {
      return await this.deps.store.campaigns.transition(campaign._id, to, fields);
    } catch (error) {
      if (error instanceof TransitionError) return null;
      throw error;
    }
  }
}
