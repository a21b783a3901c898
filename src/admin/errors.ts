import { randomBytes } from 'node:crypto';
import { BotError, GrammyError, type Context } from 'grammy';
import type { Logger } from '../log.js';

/**
 * The one handler for errors thrown while handling an update: logs the update id
 * with a short reference and tells the admin only that reference, never a stack
 * trace. Telling the admin may fail too (Telegram down); that is logged and dropped.
 */
export function createErrorHandler(log: Logger): (error: BotError<Context>) => Promise<void> {
  return async (error) => {
    const ctx = error.ctx;
    const reference = randomBytes(3).toString('hex');
    log.error(
      { err: error.error, updateId: ctx.update.update_id, reference },
      'an admin update failed',
    );

    const text =
      `Something went wrong on my side (reference ${reference}). Check with /status, ` +
      'try again, and if it keeps failing, pass the reference to whoever runs Cadence.';
    try {
      if (ctx.callbackQuery)
        await ctx.answerCallbackQuery({ text: `Failed (reference ${reference})` });
      if (ctx.chat) await ctx.reply(text);
    } catch (replyError) {
      log.warn({ err: replyError, reference }, 'could not tell the admin about a failure');
    }
  };
}

/** True for Telegram's refusal of an edit that changes nothing (harmless). */
export function isNotModified(error: unknown): boolean {
  return error instanceof GrammyError && error.description.includes('message is not modified');
}

export { BotError };
