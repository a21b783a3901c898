import type { Clock } from '../domain/time.js';
import type { AppEvents } from '../events.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { InDoubtMessage } from '../store/messages.js';
import type { Transport } from '../transport/port.js';

/** What recovery needs. */
export interface RecoveryDeps {
  store: Store;
  transport: Transport;
  events: AppEvents;
  log: Logger;
  clock: Clock;
}

/** Options for {@link recoverInDoubt}. */
export interface RecoveryOptions {
  /**
   * End this owner's leases first: they belong to this process's previous life (it
   * crashed or was killed), so nothing is still sending them and no need to wait.
   */
  expireLeasesOf?: string;
}

/** How the messages found in doubt were settled. */
export interface RecoveryReport {
  /** The transport found them: recorded `sent`. */
  confirmedSent: number;
  /** The transport is sure they did not go out: `pending` again. */
  requeued: number;
  /** The transport cannot tell: `unknown`, waiting for an admin. */
  unknown: number;
}

/** The `lastError` of a message recovery could not settle. */
export const UNKNOWN_AFTER_RESTART =
  'may have gone out before a restart: check the chat, then mark it sent or send it again';

/**
 * Settles messages whose sender stopped mid-send. Expired leases without a send
 * attempt go back to `pending` and those whose attempt has an outcome are settled
 * (both by the store); for each message whose attempt began and never finished the
 * transport is asked (`findSent`): found -> `sent`, surely not -> `pending` again (as a
 * new attempt), cannot tell -> `unknown`, never re-sent on its own. Emits
 * `review-waiting` with the number of new `unknown` messages.
 */
export async function recoverInDoubt(
  deps: RecoveryDeps,
  options: RecoveryOptions = {},
): Promise<RecoveryReport> {
  const { store, clock } = deps;
  if (options.expireLeasesOf) await store.messages.expireLeasesOf(options.expireLeasesOf);

  const inDoubt = await store.messages.releaseExpiredLeases(clock.now());
  const report: RecoveryReport = { confirmedSent: 0, requeued: 0, unknown: 0 };
  for (const item of inDoubt) {
    report[await settle(deps, item)] += 1;
  }

  if (inDoubt.length) deps.log.warn({ ...report }, 'settled messages left in doubt');
  if (report.unknown) deps.events.emit('review-waiting', report.unknown);
  return report;
}

async function settle(deps: RecoveryDeps, item: InDoubtMessage): Promise<keyof RecoveryReport> {
  const { store, transport, clock, log } = deps;
  const { message, attemptStartedAt } = item;
  const content = { text: message.content, mediaUrl: message.mediaUrl };
  const found = await transport
    .findSent(message.to, content, attemptStartedAt)
    .catch((error: unknown) => {
      log.warn({ err: error, messageId: message._id }, 'findSent failed during recovery');
      return undefined;
    });

  if (typeof found === 'string') {
    await store.messages.recordSent(message, found, clock.now());
    return 'confirmedSent';
  }
  if (found === null) {
    const reason = 'not sent before a restart; sending again';
    await store.messages.recordRetry(message, reason, clock.now());
    return 'requeued';
  }
  await store.messages.markUnknown(message, UNKNOWN_AFTER_RESTART);
  return 'unknown';
}
