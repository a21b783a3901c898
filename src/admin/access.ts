import type { Context, MiddlewareFn } from 'grammy';
import type { Logger } from '../log.js';

/** Shortest time between two refusals to the same person, in ms (10 minutes). */
export const REFUSAL_COOLDOWN_MS = 10 * 60_000;

// Bounded so a flood of strangers cannot grow memory; the oldest entries go first.
const MAX_REMEMBERED = 1000;

const REFUSAL = 'This bot is private.';
const GROUP_REFUSAL = 'Talk to me in a private chat, please.';

/**
 * Lets through only updates from `adminIds` in private chats, button presses
 * included (button data comes from the client and can be forged, so the presser
 * is checked, not the keyboard). Anything else gets at most one short refusal per
 * person per {@link REFUSAL_COOLDOWN_MS}, is logged by user id, and goes no further:
 * nothing downstream runs, so nothing is written.
 */
export function accessControl(adminIds: readonly number[], log: Logger): MiddlewareFn<Context> {
  const admins = new Set(adminIds);
  const lastRefused = new Map<number, number>();

  return async (ctx, next) => {
    const userId = ctx.from?.id;
    const chatType = ctx.chat?.type ?? ctx.callbackQuery?.message?.chat.type;
    if (userId !== undefined && admins.has(userId) && chatType === 'private') return next();

    log.warn(
      { updateId: ctx.update.update_id, userId, chatType, kind: updateKind(ctx) },
      'refused an update from outside the admin list',
    );
    if (userId === undefined || !shouldRefuse(lastRefused, userId)) return;

    const isAdminInGroup = admins.has(userId) && chatType !== 'private';
    const text = isAdminInGroup ? GROUP_REFUSAL : REFUSAL;
    if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text }).catch(() => undefined);
    else if (chatType === 'private' || isAdminInGroup) await ctx.reply(text).catch(() => undefined);
  };
}

function shouldRefuse(lastRefused: Map<number, number>, userId: number): boolean {
  const now = Date.now();
  const last = lastRefused.get(userId);
  if (last !== undefined && now - last < REFUSAL_COOLDOWN_MS) return false;

  lastRefused.delete(userId);
  lastRefused.set(userId, now);
  if (lastRefused.size > MAX_REMEMBERED) lastRefused.delete(lastRefused.keys().next().value!);
  return true;
}

/** A short name for what an update carries, for logs and the audit trail. */
export function updateKind(ctx: Context): string {
  if (ctx.callbackQuery) return 'button';
  const message = ctx.message ?? ctx.editedMessage;
  if (!message) return Object.keys(ctx.update).find((k) => k !== 'update_id') ?? 'unknown';
  if (message.text?.startsWith('/')) return 'command';
  if (message.document) return 'document';
  if (message.photo) return 'photo';
  if (message.text !== undefined) return 'text';
  return 'message';
}
