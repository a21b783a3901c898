import type { Conversation, ConversationFlavor } from '@grammyjs/conversations';
import type { Composer, Context, MiddlewareFn } from 'grammy';
import type { Config } from '../config.js';
import type { Clock } from '../domain/time.js';
import type { AppEvents } from '../events.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { TransportState } from '../transport/port.js';
import type { AuditTrail } from './audit.js';
import { Html } from './html.js';
import type { CampaignPort, DispatcherPort, SequencePort } from './ports.js';

/** The settings the admin bot reads. */
export type AdminConfig = Pick<
  Config,
  | 'TELEGRAM_BOT_TOKEN'
  | 'ADMIN_TELEGRAM_IDS'
  | 'ADMIN_TIMEZONE'
  | 'TELEGRAM_API_ROOT'
  | 'WEBHOOK_URL'
  | 'WEBHOOK_SECRET'
  | 'DEFAULT_COUNTRY'
  | 'DEFAULT_MIN_DELAY_SECONDS'
  | 'DEFAULT_MAX_DELAY_SECONDS'
  | 'MIN_DELAY_FLOOR_SECONDS'
  | 'HOURLY_CAP'
  | 'DAILY_CAP'
  | 'SEND_WINDOW'
  | 'DATA_DIR'
  | 'FORWARD_REPLIES'
>;

/** What the bot reads of the transport: its state and the login QR. */
export interface TransportView {
  readonly name: string;
  readonly state: TransportState;
  readonly lastQr?: string;
}

/**
 * Everything the admin bot is built from; the composition root wires the real
 * parts. Campaigns, sequences and the dispatcher are optional so the bot runs
 * (and says so) while a part is missing.
 */
export interface AdminDeps {
  config: AdminConfig;
  store: Store;
  events: AppEvents;
  log: Logger;
  transport: TransportView;
  campaigns?: CampaignPort;
  sequences?: SequencePort;
  dispatcher?: DispatcherPort;
  /** Defaults to the system clock. */
  clock?: Clock;
}

/** The context of admin handlers outside conversations. */
export type AdminContext = ConversationFlavor<Context>;

/** A conversation handle as the admin wizards use it. */
export type AdminConversation = Conversation<AdminContext, Context>;

/** What command modules are handed: the deps plus shared helpers. */
export interface AdminKit extends AdminDeps {
  clock: Clock;
  audit: AuditTrail;
  /** Downloads a file an admin sent, by Telegram file id (at most `maxBytes`). */
  downloadFile(fileId: string, maxBytes: number): Promise<Buffer>;
}

/** One topic's commands: a Composer, its wizards and its lines in /help. */
export interface AdminModule {
  /** Conversation middleware, installed before every module's commands. */
  conversations?: MiddlewareFn<AdminContext>[];
  composer: Composer<AdminContext>;
  help: { title: string; lines: [command: string, description: string][] };
}

/** Sends HTML (escaped where it came from people) with link previews off. */
export async function replyHtml(
  ctx: Context,
  text: Html,
  extra: Parameters<Context['reply']>[1] = {},
): Promise<void> {
  await ctx.reply(text.value, {
    parse_mode: 'HTML',
    link_preview_options: { is_disabled: true },
    ...extra,
  });
}

/** The words after the command, trimmed (`/lead +34 600` gives `+34 600`). */
export function commandArgs(ctx: Context): string {
  const text = ctx.message?.text ?? '';
  return text.replace(/^\/\S+/, '').trim();
}

export { Html };
