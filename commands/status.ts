import { Composer, InputFile } from 'grammy';
import { DateTime } from 'luxon';
import { formatSendWindow } from '../src/domain/send-window.js';
import {
  replyHtml,
  type AdminContext,
  type AdminKit,
  type AdminModule,
} from '../src/admin/context.js';
import { html, joinHtml, type Html } from '../src/admin/html.js';
import { QR_CAPTION, renderQrPng } from '../src/admin/qr.js';
import type { TransportState } from '../src/transport/port.js';

const STATE_WORDS: Record<TransportState, string> = {
  starting: 'starting…',
  qr: 'waiting for login: send /qr and scan the code',
  ready: 'connected and ready',
  disconnected: 'disconnected; sending waits until it reconnects',
};

/**
 * /start, /help, /status, /qr, /pause_all, /resume_all, and /cancel outside a wizard.
 * `modules` gives every module for /help (this one included).
 */
export function statusCommands(kit: AdminKit, modules: () => readonly AdminModule[]): AdminModule {
  const composer = new Composer<AdminContext>();

  composer.command('start', async (ctx) => {
    const name = ctx.from?.first_name ?? 'there';
    await replyHtml(
      ctx,
      html`Hi ${name}. I run Cadence: WhatsApp campaigns and sequences for your leads.
/status shows how things stand; /help lists every command.`,
    );
  });
  composer.command('help', (ctx) => replyHtml(ctx, helpText(modules())));
  composer.command('status', async (ctx) => replyHtml(ctx, await statusText(kit)));
  composer.command('qr', (ctx) => sendQr(kit, ctx));
  composer.command('pause_all', (ctx) => switchSending(kit, ctx, 'pause'));
  composer.command('resume_all', (ctx) => switchSending(kit, ctx, 'resume'));
  composer.command('cancel', (ctx) => ctx.reply('There is nothing to cancel.'));

  return {
    composer,
    help: {
      title: 'General',
      lines: [
        ['/status', 'WhatsApp, queue, sent today, caps, paused or not'],
        ['/qr', 'the WhatsApp login code, when a login is needed'],
        ['/pause_all', 'stop all sending (nothing is lost)'],
        ['/resume_all', 'start sending again'],
        ['/cancel', 'leave the question I am asking'],
      ],
    },
  };
}

function helpText(modules: readonly AdminModule[]): Html {
  const sections = modules.map((module) =>
    joinHtml([
      html`<b>${module.help.title}</b>`,
      ...module.help.lines.map(([command, what]) => html`${command} — ${what}`),
    ]),
  );
  const intro = html`Commands typed without their arguments ask for them one at a time.`;
  return joinHtml([intro, ...sections], '\n\n');
}

async function statusText(kit: AdminKit): Promise<Html> {
  const now = kit.clock.now();
  const zone = kit.config.ADMIN_TIMEZONE;
  const startOfDay = DateTime.fromJSDate(now, { zone }).startOf('day').toJSDate();
  const [queue, sentToday, sentHour, running, scheduled] = await Promise.all([
    kit.store.messages.countByStatus({ status: { $in: ['pending', 'queued', 'unknown'] } }),
    kit.store.messages.countSentSince(startOfDay),
    kit.store.messages.countSentSince(new Date(now.getTime() - 3600_000)),
    kit.store.campaigns.count({ status: 'running' }),
    kit.store.campaigns.count({ status: 'scheduled' }),
  ]);

  const sending = !kit.dispatcher
    ? 'not running in this process'
    : kit.dispatcher.paused
      ? 'paused (/resume_all to continue)'
      : 'on';
  const review = queue.unknown
    ? html`\nWaiting for your decision: ${queue.unknown} → /review`
    : html``;
  return html`<b>Status</b>
WhatsApp: ${STATE_WORDS[kit.transport.state]} (${kit.transport.name})
Sending: ${sending}
Queue: ${queue.pending ?? 0} waiting, ${queue.queued ?? 0} being sent
Sent today: ${sentToday} of ${kit.config.DAILY_CAP} · last hour: ${sentHour} of ${kit.config.HOURLY_CAP}
Send window: ${formatSendWindow(kit.config.SEND_WINDOW)} (${zone})
Campaigns: ${running} running, ${scheduled} scheduled${review}`;
}

async function sendQr(kit: AdminKit, ctx: AdminContext): Promise<void> {
  const { state, lastQr } = kit.transport;
  if (state !== 'qr' || !lastQr) {
    await replyHtml(ctx, html`No login needed: WhatsApp is ${STATE_WORDS[state]}.`);
    return;
  }
  await ctx.replyWithPhoto(new InputFile(await renderQrPng(lastQr), 'whatsapp-login.png'), {
    caption: QR_CAPTION,
  });
}

async function switchSending(
  kit: AdminKit,
  ctx: AdminContext,
  to: 'pause' | 'resume',
): Promise<void> {
  const dispatcher = kit.dispatcher;
  if (!dispatcher) {
    await ctx.reply('Sending is not running in this process, so there is nothing to switch.');
    return;
  }
  if (to === 'pause' && dispatcher.paused) {
    await ctx.reply('Sending is already paused. /resume_all starts it again.');
    return;
  }
  if (to === 'resume' && !dispatcher.paused) {
    await ctx.reply('Sending is already on. /pause_all stops it.');
    return;
  }

  const adminId = ctx.from!.id;
  if (to === 'pause') await dispatcher.pause(`paused by ${ctx.from!.first_name} with /pause_all`);
  else await dispatcher.resume();
  await kit.audit.record(adminId, to === 'pause' ? 'sending.paused' : 'sending.resumed');
  await ctx.reply(
    to === 'pause'
      ? 'Sending paused. Messages wait in the queue; nothing is lost. /resume_all to continue.'
      : 'Sending resumed.',
  );
}
