import type { IncomingMessage, ServerResponse } from 'node:http';
import { conversations } from '@grammyjs/conversations';
import { Bot, BotError, type Context } from 'grammy';
import type { Update } from 'grammy/types';
import { campaignCommands } from '../../commands/campaigns.js';
import { leadCommands } from '../../commands/leads.js';
import { reviewCommands } from '../../commands/review.js';
import { sequenceCommands } from '../../commands/sequences.js';
import { statusCommands } from '../../commands/status.js';
import { systemClock } from '../domain/time.js';
import { accessControl } from './access.js';
import { AuditTrail } from './audit.js';
import type { AdminContext, AdminDeps, AdminKit, AdminModule } from './context.js';
import { createErrorHandler } from './errors.js';
import { downloadTelegramFile } from './files.js';
import { fallbackHandlers } from './fallback.js';
import { Notifier } from './notifier.js';
import { ALLOWED_UPDATES, Retrier, UpdatePoller, type PollerOptions } from './polling.js';
import { createWebhookHandler } from './webhook.js';

const DEFAULT_API_ROOT = 'https://api.telegram.org';

/** Options for {@link createAdminBot}, mostly for tests. */
export interface AdminBotOptions {
  polling?: PollerOptions;
  /** Shortest time between two edits of a campaign's progress message, in ms (default 3,000). */
  progressIntervalMs?: number;
}

/** The admin bot, built and not yet started. */
export interface AdminBot {
  readonly bot: Bot<AdminContext>;
  /**
   * Starts receiving updates (long polling, or registers the webhook when
   * WEBHOOK_URL is set) and listening to app events for notifications. Returns at
   * once; while Telegram is unreachable or answers 409 it retries with backoff in
   * the background and never throws.
   */
  start(): Promise<void>;
  /** Stops receiving updates and notifying; waits for the update being handled. */
  stop(): Promise<void>;
  /**
   * With WEBHOOK_URL set: the path Telegram posts to, and a node:http handler to
   * mount on the HTTP server (returns false for other paths). It checks the
   * `X-Telegram-Bot-Api-Secret-Token` header against WEBHOOK_SECRET in constant time.
   */
  readonly webhook?: {
    path: string;
    handle(req: IncomingMessage, res: ServerResponse): boolean;
  };
}

/**
 * Builds the admin bot: access control first (only ADMIN_TELEGRAM_IDS, private
 * chats), the audit trail, the wizards, every command module, one error handler
 * that answers with a reference, and the notifier for app events.
 */
export function createAdminBot(deps: AdminDeps, options: AdminBotOptions = {}): AdminBot {
  const log = deps.log.child({ module: 'admin' });
  const apiRoot = deps.config.TELEGRAM_API_ROOT ?? DEFAULT_API_ROOT;
  const bot = new Bot<AdminContext>(deps.config.TELEGRAM_BOT_TOKEN, { client: { apiRoot } });
  const kit: AdminKit = {
    ...deps,
    log,
    clock: deps.clock ?? systemClock,
    audit: new AuditTrail(deps.store.audit, log),
    downloadFile: (fileId, maxBytes) =>
      downloadTelegramFile(bot.api, apiRoot, deps.config.TELEGRAM_BOT_TOKEN, fileId, maxBytes),
  };

  installMiddleware(bot, kit);
  const onError = createErrorHandler(log);
  // Our receivers call it themselves; set too for anyone driving the bot with bot.start().
  bot.catch(onError);
  const handle = async (update: Update) => {
    try {
      await bot.handleUpdate(update);
    } catch (error) {
      if (error instanceof BotError) await onError(error as BotError<Context>);
      else log.error({ err: error, updateId: update.update_id }, 'an admin update failed');
    }
  };

  const notifier = new Notifier(kit, bot.api, { progressIntervalMs: options.progressIntervalMs });
  const receiver = deps.config.WEBHOOK_URL
    ? webhookReceiver(bot, kit, handle)
    : pollingReceiver(bot, kit, handle, options.polling);

  let started = false;
  return {
    bot,
    webhook: receiver.webhook,
    async start() {
      if (started) return;
      started = true;
      notifier.start();
      receiver.start();
    },
    async stop() {
      notifier.stop();
      await receiver.stop();
    },
  };
}

function installMiddleware(bot: Bot<AdminContext>, kit: AdminKit): void {
  const modules: AdminModule[] = [];
  modules.push(
    statusCommands(kit, () => modules),
    leadCommands(kit),
    campaignCommands(kit),
    sequenceCommands(kit),
    reviewCommands(kit),
  );

  bot.use(accessControl(kit.config.ADMIN_TELEGRAM_IDS, kit.log));
  bot.use(kit.audit.middleware());
  bot.use(conversations<AdminContext, Context>());
  for (const module of modules)
    for (const conversation of module.conversations ?? []) bot.use(conversation);

  for (const module of modules) bot.use(module.composer);
  bot.use(fallbackHandlers(modules));
}

interface Receiver {
  start(): void;
  stop(): Promise<void>;
  webhook?: AdminBot['webhook'];
}

function pollingReceiver(
  bot: Bot<AdminContext>,
  kit: AdminKit,
  handle: (update: Update) => Promise<void>,
  options?: PollerOptions,
): Receiver {
  const poller = new UpdatePoller(bot.api, (me) => (bot.botInfo = me), handle, kit.log, options);
  return { start: () => poller.start(), stop: () => poller.stop() };
}

function webhookReceiver(
  bot: Bot<AdminContext>,
  kit: AdminKit,
  handle: (update: Update) => Promise<void>,
): Receiver {
  const url = kit.config.WEBHOOK_URL!;
  const abort = new AbortController();
  const retrier = new Retrier(kit.log, abort.signal);
  let ready: Promise<void> | undefined;

  const register = async () => {
    const me = await retrier.run('getMe', (signal) => bot.api.getMe(signal));
    if (!me) return;
    bot.botInfo = me;
    const secret_token = kit.config.WEBHOOK_SECRET;
    await retrier.run('setWebhook', (signal) =>
      bot.api.setWebhook(url, { secret_token, allowed_updates: [...ALLOWED_UPDATES] }, signal),
    );
    kit.log.info({ bot: me.username }, 'admin bot webhook registered');
  };
  const handler = createWebhookHandler({
    path: new URL(url).pathname,
    secret: kit.config.WEBHOOK_SECRET!,
    log: kit.log,
    // Updates that arrive before getMe answered wait for it: handling needs the bot's name.
    handle: async (update) => {
      await ready;
      if (bot.isInited()) await handle(update);
    },
  });

  return {
    start: () => void (ready ??= register()),
    stop: async () => {
      abort.abort();
      await ready;
    },
    webhook: { path: new URL(url).pathname, handle: handler },
  };
}
