import type { Config } from '../config.js';
import type { SendWindow } from '../domain/send-window.js';

/** How the dispatcher paces and guards sending. Times in ms unless the name says seconds. */
export interface DispatcherSettings {
  /**
   * Names this sender in claims and send attempts. Keep it stable across restarts of
   * the same process (one per WhatsApp account) so recovery can end its old leases.
   */
  ownerId: string;
  /** Daily hours in which sequence and campaign messages may go out. */
  sendWindow: SendWindow;
  /** The time zone the send window is read in. */
  timeZone: string;
  /** At most this many sends in any 60 minutes. */
  hourlyCap: number;
  /** At most this many sends in any 24 hours. */
  dailyCap: number;
  /** Gap range after sequence and system messages (campaigns bring their own). */
  defaultMinDelaySeconds: number;
  defaultMaxDelaySeconds: number;
  /** A send with no answer after this long counts as a transient failure. */
  sendTimeoutMs: number;
  /** Tries per message before a transient failure becomes `failed`. */
  maxSendAttempts: number;
  /** Consecutive transient or unavailable failures that pause all sending. */
  failurePauseThreshold: number;
  /** How long a claim holds a message; longer than a send can take. */
  leaseMs: number;
  /** Wait before the first retry; doubled on each later one (capped at 15 minutes). */
  retryBaseDelayMs: number;
  /** Longest sleep when idle, so new work and clock changes are noticed. */
  maxIdleSleepMs: number;
  /** How often expired leases (a crashed or stuck sender's) are settled. */
  sweepIntervalMs: number;
  /** How long `stop()` waits for the send in flight. */
  stopTimeoutMs: number;
}

/** Extra lease time beyond the send timeout: the outcome is recorded after the send. */
const LEASE_MARGIN_MS = 30_000;

/** The dispatcher's settings from configuration. */
export function dispatcherSettingsFrom(config: Config): DispatcherSettings {
  return {
    ownerId: `dispatcher:${config.WA_CLIENT_ID}`,
    sendWindow: config.SEND_WINDOW,
    timeZone: config.ADMIN_TIMEZONE,
    hourlyCap: config.HOURLY_CAP,
    dailyCap: config.DAILY_CAP,
    defaultMinDelaySeconds: config.DEFAULT_MIN_DELAY_SECONDS,
    defaultMaxDelaySeconds: config.DEFAULT_MAX_DELAY_SECONDS,
    sendTimeoutMs: config.SEND_TIMEOUT_MS,
    maxSendAttempts: config.MAX_SEND_ATTEMPTS,
    failurePauseThreshold: config.FAILURE_PAUSE_THRESHOLD,
    leaseMs: config.SEND_TIMEOUT_MS + LEASE_MARGIN_MS,
    retryBaseDelayMs: 30_000,
    maxIdleSleepMs: 3_000,
    sweepIntervalMs: 60_000,
    stopTimeoutMs: config.SEND_TIMEOUT_MS + 2_000,
  };
}
