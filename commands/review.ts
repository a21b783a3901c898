import { Composer, InlineKeyboard } from 'grammy';
import { Types } from 'mongoose';
import {
  replyHtml,
  type AdminContext,
  type AdminKit,
  type AdminModule,
} from '../src/admin/context.js';
import { formatTime, html, truncate, type Html } from '../src/admin/html.js';
import type { BroadcastMessage } from '../src/store/index.js';

/** How many undecided messages one /review shows. */
export const REVIEW_BATCH = 10;

/**
 * /review: messages left `unknown` (a send began and its outcome was lost), each
 * with two buttons: mark it sent (it did go out), or send it again.
 */
export function reviewCommands(kit: AdminKit): AdminModule {
  const composer = new Composer<AdminContext>();

  composer.command('review', async (ctx) => {
    const waiting = await kit.store.messages.findUnknown(REVIEW_BATCH);
    if (!waiting.length) {
      await ctx.reply('Nothing to review: every message is known to be sent, failed or waiting.');
      return;
    }
    await replyHtml(
      ctx,
      html`${waiting.length} message(s) may or may not have gone out (a send was cut off).
Check the phone: if the message is in the chat, mark it sent; otherwise send it again.`,
    );
    for (const message of waiting) {
      await replyHtml(ctx, await describe(kit, message), {
        reply_markup: reviewKeyboard(message._id),
      });
    }
  });

  composer.callbackQuery(/^rv:(sent|resend):([0-9a-f]{24})$/, async (ctx) => {
    const [, decision, id] = ctx.match as RegExpMatchArray;
    const settled = await kit.store.messages.resolveUnknown(
      new Types.ObjectId(id),
      decision as 'sent' | 'resend',
      kit.clock.now(),
    );
    if (!settled) {
      await ctx.answerCallbackQuery({ text: 'Already decided: nothing changed.' });
      return;
    }
    if (decision === 'resend') kit.dispatcher?.wake();
    await kit.audit.record(
      ctx.from.id,
      decision === 'sent' ? 'review.marked-sent' : 'review.resend',
      { messageId: id },
    );
    await ctx.answerCallbackQuery({
      text: decision === 'sent' ? 'Marked sent.' : 'Queued to send again.',
    });
    const outcome = decision === 'sent' ? '✅ Marked sent.' : '🔁 Queued to send again.';
    await ctx
      .editMessageText(`${ctx.callbackQuery.message?.text ?? ''}\n\n${outcome}`)
      .catch(() => undefined);
  });

  return {
    composer,
    help: { title: 'Review', lines: [['/review', 'messages that may or may not have gone out']] },
  };
}

function reviewKeyboard(id: Types.ObjectId): InlineKeyboard {
  return new InlineKeyboard()
    .text('Mark sent', `rv:sent:${id}`)
    .text('Send again', `rv:resend:${id}`);
}

async function describe(kit: AdminKit, message: BroadcastMessage): Promise<Html> {
  const [lead, campaign] = await Promise.all([
    message.leadId ? kit.store.leads.findById(message.leadId) : null,
    message.campaignId ? kit.store.campaigns.findById(message.campaignId) : null,
  ]);
  const who = lead?.name ? `${lead.name} (${message.to})` : message.to;
  const from = campaign
    ? `campaign “${campaign.title}”`
    : message.kind === 'sequence'
      ? 'a sequence step'
      : message.kind;
  return html`To ${who}, from ${from}, last tried ${formatTime(message.updatedAt, kit.config.ADMIN_TIMEZONE)}:
“${truncate(message.content, 300)}”
Why in doubt: ${message.lastError ?? 'the send was cut off'}`;
}
