import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { drawGapMs, retryDelayMs, SendCaps } from '../domain/pacing.js';
import { maskPhone } from '../domain/phone.js';
import { nextOpenMoment } from '../domain/send-window.js';
import type { RandomSource } from '../domain/template.js';
import type { Clock } from '../domain/time.js';
import type { AppEvents } from '../events.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import { MESSAGE_PRIORITY, type BroadcastMessage, type MessageKind } from '../store/messages.js';
import {
  TransientSendError,
  TransportError,
  type OutboundContent,
  type Transport,
} from '../transport/port.js';
import { recoverInDoubt, type RecoveryReport } from './recovery.js';
import type { DispatcherSettings } from './settings.js';

/** What a {@link Dispatcher} is built from. */
export interface DispatcherDeps {
  store: Store;
  transport: Transport;
  events: AppEvents;
  log: Logger;
  /** Every "now" (due times, window, caps, leases); gaps and waits use real timers. */
  clock: Clock;
  settings: DispatcherSettings;
  /** Draws the gaps (default Math.random). */
  random?: RandomSource;
}

/** Counters for /metrics, since the dispatcher was built. */
export interface DispatcherMetrics {
  sent: number;
  failed: number;
  retried: number;
  unknown: number;
  /** Time spent in `transport.send`, per send. */
  sendLatencyMs: { count: number; sum: number; max: number; last: number };
}

/** Events a dispatcher emits as it works (admin-facing ones go on AppEvents). */
export interface DispatcherEvents {
  sent: [message: BroadcastMessage, waMessageId: string];
  failed: [message: BroadcastMessage, reason: string];
}

/** Whether a claimed message may still go out, and the gap to keep after it. */
type Verdict =
  { kind: 'live'; gap: [minSeconds: number, maxSeconds: number] } | { kind: 'park' | 'cancel' };

interface Sleeper {
  done: () => void;
  wakeable: boolean;
}

const SYSTEM_ONLY: readonly MessageKind[] = ['system'];
const ALL_KINDS = Object.keys(MESSAGE_PRIORITY) as MessageKind[];
/**
 * How long kinds that had nothing due are left out of claims (a wake ends it sooner).
 * A claim for a kind with nothing due is an index probe on MongoDB but a scan of the
 * whole collection on FerretDB 1.24: with 1,000 due campaign messages stored, a claim
 * asking all three kinds took 153 ms there, one asking for campaigns only 14 ms.
 */
const QUIET_KINDS_RECHECK_MS = 2_000;
const ERROR_PAUSE_MS = 1_000;
const DAY_MS = 24 * 60 * 60_000;

/**
 * The one sending loop of a WhatsApp account. Each turn: wait until not paused and
 * the transport is `ready`; claim the most urgent due message (only `system` ones
 * outside the send window or over a cap); check its campaign or enrollment is still
 * live; pass the send-attempt fence; send with a timeout; record sent, failed or a
 * retry; wait the gap. Consecutive transport failures pause all sending and tell
 * admins. The database is the truth for pause and cancel; counts for the caps are
 * kept in memory, seeded from the database at start.
 */
export class Dispatcher extends EventEmitter<DispatcherEvents> {
  readonly ownerId: string;
  private readonly log: Logger;
  private readonly random: RandomSource;
  private caps: SendCaps | undefined;
  private loopDone: Promise<void> | undefined;
  private stopping = false;
  private pausedFor: string | null = null;
  private failureStreak = 0;
  private recovered = false;
  private lastSweepAt = 0;
  private woken = false;
  private quietKinds: { kinds: readonly MessageKind[]; until: number } | undefined;
  private readonly sleepers = new Set<Sleeper>();
  private readonly counters: DispatcherMetrics = {
    sent: 0,
    failed: 0,
    retried: 0,
    unknown: 0,
    sendLatencyMs: { count: 0, sum: 0, max: 0, last: 0 },
  };

  constructor(private readonly deps: DispatcherDeps) {
    super();
    this.ownerId = deps.settings.ownerId;
    this.log = deps.log.child({ module: 'dispatch', owner: this.ownerId });
    this.random = deps.random ?? Math.random;
  }

  /**
   * Seeds the caps from the database and starts the loop. On the transport's first
   * `ready` it settles what a previous life of this owner left in doubt.
   */
  async start(): Promise<void> {
    if (this.loopDone) return;
    const since = new Date(this.deps.clock.now().getTime() - DAY_MS);
    const seed = await this.deps.store.messages.sentTimesSince(since);
    this.caps = new SendCaps(this.deps.settings.hourlyCap, this.deps.settings.dailyCap, seed);
    this.stopping = false;
    this.deps.transport.on('state', this.onTransportState);
    this.loopDone = this.loop();
    this.log.info('dispatcher started');
  }

  /**
   * Stops claiming, lets the send in flight finish (up to `stopTimeoutMs`), gives back
   * a message claimed but not yet sent, and resolves.
   */
  async stop(): Promise<void> {
    if (!this.loopDone) return;
    this.stopping = true;
    this.deps.transport.off('state', this.onTransportState);
    for (const sleeper of [...this.sleepers]) sleeper.done();

    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.deps.settings.stopTimeoutMs);
    });
    await Promise.race([this.loopDone, bound]);
    clearTimeout(timer);
    this.loopDone = undefined;
    this.log.info('dispatcher stopped');
  }

  /** Pauses all sending (the send in flight finishes) and emits `sending-paused`. */
  pause(reason: string): void {
    if (this.pausedFor !== null) return;
    this.pausedFor = reason;
    this.log.warn({ reason }, 'sending paused');
    this.deps.events.emit('sending-paused', reason);
  }

  /** Resumes sending after {@link pause} and emits `sending-resumed`. */
  resume(): void {
    if (this.pausedFor === null) return;
    this.pausedFor = null;
    this.failureStreak = 0;
    this.log.info('sending resumed');
    this.deps.events.emit('sending-resumed');
    this.wake();
  }

  /** True while sending is paused. */
  get paused(): boolean {
    return this.pausedFor !== null;
  }

  /** Why sending is paused, or null. */
  get pauseReason(): string | null {
    return this.pausedFor;
  }

  /** Ends an idle wait now; producers call it after inserting messages. */
  wake(): void {
    this.woken = true;
    this.quietKinds = undefined;
    for (const sleeper of [...this.sleepers]) if (sleeper.wakeable) sleeper.done();
  }

  /** A copy of the counters. */
  metrics(): DispatcherMetrics {
    return { ...this.counters, sendLatencyMs: { ...this.counters.sendLatencyMs } };
  }

  private readonly onTransportState = () => this.wake();

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.turn();
      } catch (error) {
        this.log.error({ err: error }, 'dispatcher turn failed; trying again');
        await this.sleep(ERROR_PAUSE_MS, true);
      }
    }
  }

  private async turn(): Promise<void> {
    this.woken = false;
    const { settings } = this.deps;
    if (!this.mayClaim()) return this.sleep(settings.maxIdleSleepMs, true);
    await this.settleInDoubt();
    if (!this.mayClaim()) return;

    const now = this.deps.clock.now();
    const openAt = this.openAt(now);
    const message = await this.claim(now, openAt > now);
    if (!message) return this.idle(now, openAt);
    await this.handle(message);
  }

  /**
   * Claims the most urgent due message. Kinds that had nothing due a moment ago are
   * asked last, only when no other kind has one (see QUIET_KINDS_RECHECK_MS).
   */
  private async claim(now: Date, systemOnly: boolean): Promise<BroadcastMessage | null> {
    const { store, settings } = this.deps;
    const claim = (kinds?: readonly MessageKind[]) =>
      store.messages.claimNext(this.ownerId, now, settings.leaseMs, kinds);
    if (systemOnly) return claim(SYSTEM_ONLY);

    const quiet = this.currentQuietKinds();
    if (!quiet.length) {
      const message = await claim();
      this.markQuiet(kindsMoreUrgentThan(message?.kind ?? 'campaign'));
      return message;
    }
    const message = await claim(ALL_KINDS.filter((kind) => !quiet.includes(kind)));
    if (message) return message;
    const urgent = await claim(quiet);
    this.markQuiet(urgent ? [] : quiet);
    return urgent;
  }

  private currentQuietKinds(): readonly MessageKind[] {
    const quiet = this.quietKinds;
    return quiet && performance.now() < quiet.until ? quiet.kinds : [];
  }

  /**
   * Leaves `kinds` out of claims for a moment: they just had nothing due. Not after a
   * wake during the claim: a producer may have just inserted one.
   */
  private markQuiet(kinds: readonly MessageKind[]): void {
    this.quietKinds =
      kinds.length && !this.woken
        ? { kinds, until: performance.now() + QUIET_KINDS_RECHECK_MS }
        : undefined;
  }

  /** Not stopping, not paused, and the transport is ready. */
  private mayClaim(): boolean {
    return !this.stopping && this.pausedFor === null && this.deps.transport.state === 'ready';
  }

  /** When campaign and sequence messages may go: now, or when the window opens or a cap frees. */
  private openAt(now: Date): Date {
    const { sendWindow, timeZone } = this.deps.settings;
    const windowAt = nextOpenMoment(now, sendWindow, timeZone);
    const capsAt = this.caps!.nextAllowedAt(now);
    return windowAt > capsAt ? windowAt : capsAt;
  }

  private async idle(now: Date, openAt: Date): Promise<void> {
    let waitMs = this.deps.settings.maxIdleSleepMs;
    if (openAt > now) {
      waitMs = Math.min(waitMs, openAt.getTime() - now.getTime());
    } else {
      const due = await this.deps.store.messages.nextDueAt();
      // Measured from after the queries: on a slow server they take a good part of the wait.
      const untilDueMs = due ? due.getTime() - this.deps.clock.now().getTime() : waitMs;
      waitMs = Math.min(waitMs, Math.max(untilDueMs, 20));
    }
    await this.sleep(waitMs, true);
  }

  /** Recovery once on the first `ready`, then a sweep of expired leases now and then. */
  private async settleInDoubt(): Promise<RecoveryReport | undefined> {
    const first = !this.recovered;
    if (!first && performance.now() - this.lastSweepAt < this.deps.settings.sweepIntervalMs) return;
    this.lastSweepAt = performance.now();
    const report = await recoverInDoubt(this.deps, first ? { expireLeasesOf: this.ownerId } : {});
    this.recovered = true;
    this.counters.unknown += report.unknown;
    return report;
  }

  private async handle(message: BroadcastMessage): Promise<void> {
    const verdict = await this.verdict(message);
    if (!this.mayClaim()) return this.giveBack(message, 'not now');
    if (verdict.kind !== 'live') return this.giveBack(message, verdict.kind);

    const { store, clock } = this.deps;
    const startedAt = clock.now();
    if (!(await store.messages.passFence(message, this.ownerId, startedAt))) {
      this.log.debug({ messageId: message._id }, 'another sender holds this message; dropped');
      return;
    }

    await this.sendAndRecord(message, startedAt);
    if (!this.stopping) await this.sleep(drawGapMs(...verdict.gap, this.random), false);
  }

  /** Whether the message's campaign or enrollment still wants it sent. */
  private async verdict(message: BroadcastMessage): Promise<Verdict> {
    const { store, settings } = this.deps;
    const defaults: [number, number] = [
      settings.defaultMinDelaySeconds,
      settings.defaultMaxDelaySeconds,
    ];

    if (message.kind === 'campaign') {
      const campaign = message.campaignId
        ? await store.campaigns.findById(message.campaignId)
        : null;
      if (!campaign || campaign.status === 'cancelled' || campaign.status === 'completed') {
        return { kind: 'cancel' };
      }
      if (campaign.status !== 'running') return { kind: 'park' };
      return { kind: 'live', gap: [campaign.minDelaySeconds, campaign.maxDelaySeconds] };
    }
    if (message.kind === 'sequence' && message.enrollmentId) {
      const enrollment = await store.enrollments.findById(message.enrollmentId);
      if (!enrollment || enrollment.status === 'stopped' || enrollment.status === 'failed') {
        return { kind: 'cancel' };
      }
    }
    return { kind: 'live', gap: defaults };
  }

  private async giveBack(
    message: BroadcastMessage,
    why: 'park' | 'cancel' | 'not now',
  ): Promise<void> {
    const messages = this.deps.store.messages;
    if (why === 'park') await messages.park(message);
    else if (why === 'cancel') await messages.release(message, 'cancelled');
    else await messages.release(message);
    this.log.debug({ messageId: message._id, why }, 'claimed message given back');
  }

  private async sendAndRecord(message: BroadcastMessage, startedAt: Date): Promise<void> {
    const content: OutboundContent = { text: message.content };
    if (message.mediaUrl) content.mediaUrl = message.mediaUrl;

    const t0 = performance.now();
    let waMessageId: string;
    try {
      waMessageId = await this.sendWithTimeout(message.to, content);
    } catch (error) {
      this.observeLatency(performance.now() - t0);
      await this.onSendError(message, content, asTransportError(error), startedAt);
      return;
    }
    this.observeLatency(performance.now() - t0);
    await this.onSent(message, waMessageId);
  }

  private async sendWithTimeout(to: string, content: OutboundContent): Promise<string> {
    const ms = this.deps.settings.sendTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TransientSendError(`no answer from WhatsApp within ${ms} ms`, true)),
        ms,
      );
    });
    try {
      return await Promise.race([this.deps.transport.send(to, content), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async onSent(message: BroadcastMessage, waMessageId: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.messages.recordSent(message, waMessageId, now);
    this.caps!.record(now);
    this.counters.sent += 1;
    this.failureStreak = 0;
    this.log.debug({ messageId: message._id, to: maskPhone(message.to) }, 'sent');
    this.emit('sent', message, waMessageId);
  }

  private async onSendError(
    message: BroadcastMessage,
    content: OutboundContent,
    error: TransportError,
    startedAt: Date,
  ): Promise<void> {
    if (error.kind === 'permanent') return this.fail(message, error.message, false);

    if (error instanceof TransientSendError && error.mayHaveSent) {
      const found = await this.deps.transport
        .findSent(message.to, content, startedAt)
        .catch(() => undefined);
      if (typeof found === 'string') {
        const fields = { messageId: message._id, err: error };
        this.log.warn(fields, 'send failed but the message went out');
        return this.onSent(message, found);
      }
      if (found === undefined) return this.markUnknown(message, error.message);
    }

    if (error.kind === 'transient' && message.attempt >= this.deps.settings.maxSendAttempts) {
      const reason = `${error.message} (gave up after ${message.attempt} attempts)`;
      return this.fail(message, reason, true);
    }
    await this.retry(message, error);
  }

  private async fail(message: BroadcastMessage, reason: string, transportFault: boolean) {
    await this.deps.store.messages.recordFailed(message, reason, this.deps.clock.now());
    this.counters.failed += 1;
    this.log.info({ messageId: message._id, to: maskPhone(message.to), reason }, 'send failed');
    this.emit('failed', message, reason);
    if (transportFault) this.countFailure(reason);
    else this.failureStreak = 0;
  }

  private async retry(message: BroadcastMessage, error: TransportError): Promise<void> {
    const { settings, clock, store } = this.deps;
    const delayMs =
      error.kind === 'unavailable' ? 0 : retryDelayMs(message.attempt, settings.retryBaseDelayMs);
    const notBefore = new Date(clock.now().getTime() + delayMs);
    await store.messages.recordRetry(message, error.message, notBefore);
    this.counters.retried += 1;
    this.log.warn(
      { messageId: message._id, attempt: message.attempt, kind: error.kind, err: error, delayMs },
      'send failed, retrying',
    );
    this.countFailure(error.message);
  }

  private async markUnknown(message: BroadcastMessage, reason: string): Promise<void> {
    const note = `${reason}; the transport cannot tell whether it went out`;
    await this.deps.store.messages.markUnknown(message, note);
    this.counters.unknown += 1;
    this.log.error({ messageId: message._id }, 'message may or may not have gone out');
    this.deps.events.emit('review-waiting', 1);
    this.countFailure(reason);
  }

  private countFailure(reason: string): void {
    this.failureStreak += 1;
    const threshold = this.deps.settings.failurePauseThreshold;
    if (this.failureStreak >= threshold) {
      this.pause(`${this.failureStreak} sends in a row failed; the last one: ${reason}`);
    }
  }

  private observeLatency(ms: number): void {
    const latency = this.counters.sendLatencyMs;
    latency.count += 1;
    latency.sum += ms;
    latency.last = ms;
    if (ms > latency.max) latency.max = ms;
  }

  /** A real-timer wait; `wakeable` ones end early on {@link wake}, all end on stop. */
  private sleep(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        wakeable,
        done: () => {
          clearTimeout(timer);
          this.sleepers.delete(sleeper);
          resolve();
        },
      };
      const timer = setTimeout(sleeper.done, ms);
      this.sleepers.add(sleeper);
    });
  }
}

/** The kinds claimed before `kind`. */
function kindsMoreUrgentThan(kind: MessageKind): MessageKind[] {
  return ALL_KINDS.filter((other) => MESSAGE_PRIORITY[other] < MESSAGE_PRIORITY[kind]);
}

/** Anything a transport throws, as one of the three kinds (unknown errors may have sent). */
function asTransportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TransientSendError(`transport failed: ${message}`, true, { cause: error });
}
