import { GrammyError, type Api, type RawApi } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import type { Logger } from '../log.js';

/** The abort signal type grammY's API methods take (from its fetch shim). */
export type ApiSignal = NonNullable<Parameters<Api['getMe']>[0]>;

/** Longest wait for Telegram to confirm the handled updates at shutdown, in ms. */
const CONFIRM_TIMEOUT_MS = 3000;

/** Update kinds the admin bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

/** Options for {@link UpdatePoller}. */
export interface PollerOptions {
  /** Long-poll timeout handed to getUpdates, in seconds (default 25). */
  timeoutSeconds?: number;
  /** First wait after a failure, in ms (default 1,000); doubles per failure in a row. */
  minBackoffMs?: number;
  /** Longest wait between retries, in ms (default 60,000). */
  maxBackoffMs?: number;
}

/**
 * Calls the Bot API until a call succeeds or `signal` aborts, waiting between tries
 * with exponential backoff (Telegram's `retry_after` when it gives one), logging the
 * first failure of a streak, every 20th after it, and the recovery. Never throws.
 */
export class Retrier {
  private failures = 0;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    options: Pick<PollerOptions, 'minBackoffMs' | 'maxBackoffMs'> = {},
  ) {
    this.minBackoffMs = options.minBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
  }

  /** Runs `call` until it succeeds; undefined when aborted first. */
  async run<T>(what: string, call: (signal: ApiSignal) => Promise<T>): Promise<T | undefined> {
    while (!this.signal.aborted) {
      try {
        const result = await call(this.signal as unknown as ApiSignal);
        if (this.failures > 0)
          this.log.info({ call: what, failures: this.failures }, 'Telegram reachable again');
        this.failures = 0;
        return result;
      } catch (error) {
        if (this.signal.aborted) return undefined;
        await this.sleep(this.backoffAfter(what, error));
      }
    }
    return undefined;
  }

  private backoffAfter(what: string, error: unknown): number {
    this.failures += 1;
    const exponential = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** (this.failures - 1));
    const retryAfter = error instanceof GrammyError ? error.parameters.retry_after : undefined;
    const waitMs = retryAfter !== undefined ? retryAfter * 1000 : exponential;

    if (this.failures === 1 || this.failures % 20 === 0) {
      this.log.warn(
        { call: what, failures: this.failures, waitMs, reason: describeFailure(error) },
        'Telegram call failed; retrying',
      );
    }
    return waitMs;
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}

/**
 * Long polling that never gives up and never throws: while Telegram is unreachable,
 * answers 5xx, 429, 401 or 409 (another process polls this token), it retries
 * through a {@link Retrier}. Updates are handled one at a time, in order; `handle`
 * must not throw.
 */
export class UpdatePoller {
  private readonly abort = new AbortController();
  private readonly retrier: Retrier;
  private running: Promise<void> | undefined;
  private offset = 0;
  private readonly timeoutSeconds: number;

  constructor(
    private readonly api: Api<RawApi>,
    private readonly onReady: (me: UserFromGetMe) => void,
    private readonly handle: (update: Update) => Promise<void>,
    private readonly log: Logger,
    options: PollerOptions = {},
  ) {
    this.timeoutSeconds = options.timeoutSeconds ?? 25;
    this.retrier = new Retrier(log, this.abort.signal, options);
  }

  /** Starts polling in the background; returns at once. */
  start(): void {
    this.running ??= this.run().catch((error: unknown) => {
      this.log.error({ err: error }, 'admin bot polling stopped unexpectedly');
    });
  }

  /** Stops after the update being handled, and confirms the handled ones to Telegram. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.abort.abort();
    await this.running;
    if (this.offset > 0) {
      // Bounded: a Telegram that does not answer must not hold up a shutdown.
      const signal = AbortSignal.timeout(CONFIRM_TIMEOUT_MS) as unknown as ApiSignal;
      await this.api
        .getUpdates({ offset: this.offset, limit: 1, timeout: 0 }, signal)
        .catch(() => undefined);
    }
  }

  private async run(): Promise<void> {
    const me = await this.retrier.run('getMe', (signal) => this.api.getMe(signal));
    if (!me) return;
    this.onReady(me);
    const cleared = await this.retrier.run('deleteWebhook', (signal) =>
      this.api.deleteWebhook({}, signal),
    );
    if (cleared === undefined) return;
    this.log.info({ bot: me.username }, 'admin bot polling');

    while (!this.abort.signal.aborted) {
      const updates = await this.retrier.run('getUpdates', (signal) =>
        this.api.getUpdates(
          {
            offset: this.offset,
            timeout: this.timeoutSeconds,
            allowed_updates: [...ALLOWED_UPDATES],
          },
          signal,
        ),
      );
      for (const update of updates ?? []) {
        if (this.abort.signal.aborted) break;
        this.offset = update.update_id + 1;
        await this.handle(update);
      }
    }
  }
}

/** Why a Bot API call failed, in words an operator can act on. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof GrammyError))
    return `Telegram unreachable: ${(error as Error)?.message ?? error}`;
  if (error.error_code === 409) {
    return 'another process is polling this bot token, or a webhook is set (409); stop the other one';
  }
  if (error.error_code === 401) return 'Telegram refused the token (401); check TELEGRAM_BOT_TOKEN';
  return `Telegram answered ${error.error_code}: ${error.description}`;
}
