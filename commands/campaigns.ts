import { createConversation } from '@grammyjs/conversations';
import { Composer, InlineKeyboard, type Context } from 'grammy';
import { renderTemplate, seededRandom } from '../src/domain/template.js';
import { ArgCommands, textQuestion } from '../src/admin/args.js';
import { describeTarget } from '../src/admin/campaign-input.js';
import { campaignWizard, createCampaignFromLine } from '../src/admin/campaign-wizard.js';
import {
  commandArgs,
  replyHtml,
  type AdminContext,
  type AdminKit,
  type AdminModule,
} from '../src/admin/context.js';
import { ANSWER_TIMEOUT_MS } from '../src/admin/form.js';
import {
  formatTime,
  html,
  joinHtml,
  progressBar,
  sentence,
  truncate,
  type Html,
} from '../src/admin/html.js';
import { LeadService } from '../src/leads/service.js';
import type { Parsed } from '../src/domain/when.js';
import type { Campaign } from '../src/store/index.js';
import type { CampaignPort } from '../src/admin/ports.js';

/** Campaigns per page of /campaigns. */
export const CAMPAIGNS_PER_PAGE = 5;

const ID = /^[0-9a-f]{24}$/i;
// Errors the campaign service throws for a refusal an admin can act on; their
// messages are written for people.
const REFUSALS = new Set(['CampaignNotFoundError', 'CampaignStateError', 'TransitionError']);

const HELP: AdminModule['help'] = {
  title: 'Campaigns',
  lines: [
    [
      '/campaign_new',
      'create one, step by step; or /campaign_new Title | Message | when | target | gaps',
    ],
    ['/campaigns', 'all campaigns, newest first'],
    ['/campaign <id>', 'progress, figures and failure reasons'],
    ['/campaign_pause <id>', 'hold the messages not yet sent'],
    ['/campaign_resume <id>', 'continue a paused campaign'],
    ['/campaign_cancel <id>', 'never send the rest'],
    ['/campaign_test <id> <phone>', 'send the message to one number now'],
  ],
};

/**
 * Campaign commands: /campaign_new (wizard or one line), /campaigns (paged), /campaign,
 * /campaign_pause, /campaign_resume, /campaign_cancel and /campaign_test.
 */
export function campaignCommands(kit: AdminKit): AdminModule {
  const composer = new Composer<AdminContext>();
  const args = new ArgCommands('campaign_args');

  composer.command('campaign_new', async (ctx) => {
    const line = commandArgs(ctx);
    if (!servicePresent(kit)) return notAvailable(ctx);
    if (line) await createCampaignFromLine(kit, ctx, line);
    else await ctx.conversation.enter('campaign_new');
  });
  registerViews(kit, composer);
  registerChanges(kit, composer, args);

  return {
    composer,
    conversations: [
      args.conversation(),
      createConversation<AdminContext, Context>(campaignWizard(kit), {
        id: 'campaign_new',
        maxMillisecondsToWait: ANSWER_TIMEOUT_MS,
      }) as never,
    ],
    help: HELP,
  };
}

/** /campaigns with its paging and open buttons, and /campaign. */
function registerViews(kit: AdminKit, composer: Composer<AdminContext>): void {
  composer.command('campaigns', async (ctx) => {
    const page = await campaignPage(kit, 0);
    await replyHtml(ctx, page.text, { reply_markup: page.keyboard });
  });
  composer.callbackQuery(/^cl:(\d+)$/, async (ctx) => {
    const page = await campaignPage(kit, Number(ctx.match[1]));
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(page.text.value, { parse_mode: 'HTML', reply_markup: page.keyboard });
  });
  composer.callbackQuery(/^co:([0-9a-f]{24})$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    await showCampaign(kit, ctx, ctx.match[1]!);
  });
}

/** /campaign, pause, resume, cancel (commands and buttons) and /campaign_test. */
function registerChanges(kit: AdminKit, composer: Composer<AdminContext>, args: ArgCommands): void {
  const idQuestion = textQuestion(
    'Which campaign? Send its id (from /campaigns).',
    parseCampaignId,
  );
  composer.callbackQuery(/^ca:(pause|resume|cancel|cancel!):([0-9a-f]{24})$/, async (ctx) => {
    const [, action, id] = ctx.match as RegExpMatchArray;
    await ctx.answerCallbackQuery();
    if (action === 'cancel') return confirmCancel(kit, ctx, id!);
    const change = action === 'cancel!' ? 'cancel' : (action as 'pause' | 'resume');
    await changeCampaign(kit, ctx, change, id!);
  });
  args.register(composer, {
    command: 'campaign',
    usage: '/campaign <id>',
    questions: [idQuestion],
    split: idOnly,
    run: (ctx, [id]) => showCampaign(kit, ctx, id!),
  });
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    args.register(composer, {
      command: `campaign_${action}`,
      usage: `/campaign_${action} <id>`,
      questions: [idQuestion],
      split: idOnly,
      run: (ctx, [id]) => changeCampaign(kit, ctx, action, id!),
    });
  }
  const leads = new LeadService(kit.store.leads, kit.config.DEFAULT_COUNTRY);
  args.register(composer, {
    command: 'campaign_test',
    usage: '/campaign_test <id> <phone>',
    questions: [
      idQuestion,
      textQuestion('To which number? (your own, with the country code)', (t) =>
        leads.parsePhone(t),
      ),
    ],
    split: splitIdAndPhone,
    run: (ctx, [id, phone]) => sendTest(kit, leads, ctx, id!, phone!),
  });
}

function splitIdAndPhone(line: string): Parsed<string[]> {
  const [id = '', ...phone] = line.split(/\s+/);
  const parsed = parseCampaignId(id);
  if (!parsed.ok) return parsed;
  if (!phone.length) return { ok: false, reason: 'give the campaign id and then the phone number' };
  return { ok: true, value: [parsed.value, phone.join(' ')] };
}

/** Reads a campaign id (24 hexadecimal characters). */
export function parseCampaignId(text: string): Parsed<string> {
  const id = text.trim().toLowerCase();
  if (ID.test(id)) return { ok: true, value: id };
  return { ok: false, reason: `"${text.trim()}" is not a campaign id: copy one from /campaigns` };
}

function idOnly(line: string): Parsed<string[]> {
  const id = parseCampaignId(line);
  return id.ok ? { ok: true, value: [id.value] } : id;
}

function servicePresent(kit: AdminKit): kit is AdminKit & { campaigns: CampaignPort } {
  return kit.campaigns !== undefined;
}

async function notAvailable(ctx: Context): Promise<void> {
  await ctx.reply('Campaigns are not available in this process.');
}

// ---- list and details ----

async function campaignPage(
  kit: AdminKit,
  page: number,
): Promise<{ text: Html; keyboard: InlineKeyboard }> {
  const total = await kit.store.campaigns.count();
  const pages = Math.max(1, Math.ceil(total / CAMPAIGNS_PER_PAGE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const campaigns = await kit.store.campaigns.list(
    current * CAMPAIGNS_PER_PAGE,
    CAMPAIGNS_PER_PAGE,
  );
  const keyboard = new InlineKeyboard();
  if (!campaigns.length) {
    return { text: html`No campaigns yet. Create one with /campaign_new.`, keyboard };
  }

  const lines = [html`<b>Campaigns</b> (${total}), page ${current + 1} of ${pages}:`];
  for (const campaign of campaigns) {
    lines.push(html`\n<b>${campaign.title}</b> · ${campaign.status} · ${formatTime(campaign.scheduledAt, kit.config.ADMIN_TIMEZONE)}
<code>${campaign._id.toHexString()}</code>`);
    keyboard.text(truncate(campaign.title, 30), `co:${campaign._id.toHexString()}`).row();
  }
  if (current > 0) keyboard.text('‹ Newer', `cl:${current - 1}`);
  if (current < pages - 1) keyboard.text('Older ›', `cl:${current + 1}`);
  return { text: joinHtml(lines), keyboard };
}

async function showCampaign(kit: AdminKit, ctx: Context, id: string): Promise<void> {
  const campaign = await kit.store.campaigns.findById(id);
  if (!campaign) {
    await replyHtml(ctx, html`There is no campaign with the id ${id}; /campaigns lists them.`);
    return;
  }
  await replyHtml(ctx, await campaignDetails(kit, campaign), {
    reply_markup: actionKeyboard(campaign),
  });
}

/** A campaign's card: status, times, audience, message, figures and top failure reasons. */
export async function campaignDetails(kit: AdminKit, campaign: Campaign): Promise<Html> {
  const zone = kit.config.ADMIN_TIMEZONE;
  const lines = [
    html`<b>${campaign.title}</b> · ${campaign.status}`,
    html`Scheduled: ${formatTime(campaign.scheduledAt, zone)}`,
  ];
  if (campaign.startedAt) lines.push(html`Started: ${formatTime(campaign.startedAt, zone)}`);
  if (campaign.completedAt) lines.push(html`Finished: ${formatTime(campaign.completedAt, zone)}`);
  lines.push(
    html`To: ${describeTarget(campaign.target)} · gaps ${campaign.minDelaySeconds}–${campaign.maxDelaySeconds} s`,
    html`Image: ${campaign.imageUrl ? 'yes' : 'none'}`,
    html`Message:\n<i>${truncate(campaign.message, 600)}</i>`,
  );
  if (kit.campaigns) lines.push(await figuresText(kit, kit.campaigns, campaign));
  lines.push(html`id: <code>${campaign._id.toHexString()}</code>`);
  return joinHtml(lines);
}

async function figuresText(
  kit: AdminKit,
  campaigns: CampaignPort,
  campaign: Campaign,
): Promise<Html> {
  const f = await campaigns.figures(campaign._id.toHexString());
  if (f.total === 0) return html`No messages yet: they are made when the campaign starts.`;
  const done = f.sent + f.failed + f.cancelled;
  const lines = [
    html`${progressBar(done, f.total)} ${Math.floor((done / f.total) * 100)}% (${done} of ${f.total})`,
    html`Sent ${f.sent} · failed ${f.failed} · pending ${f.pending + f.queued} · delivered ${f.delivered} · read ${f.read}`,
  ];
  if (f.cancelled) lines.push(html`Cancelled: ${f.cancelled}`);
  if (f.unknown) lines.push(html`In doubt: ${f.unknown} → /review`);
  const reasons = await kit.store.messages.topFailureReasons(campaign._id, 3);
  if (reasons.length) {
    lines.push(html`Top failure reasons:`);
    lines.push(...reasons.map((r) => html`• ${r.reason} (${r.count})`));
  }
  return joinHtml(lines);
}

function actionKeyboard(campaign: Campaign): InlineKeyboard {
  const id = campaign._id.toHexString();
  const keyboard = new InlineKeyboard();
  if (campaign.status === 'running') keyboard.text('Pause', `ca:pause:${id}`);
  if (campaign.status === 'paused') keyboard.text('Resume', `ca:resume:${id}`);
  if (!['completed', 'cancelled'].includes(campaign.status))
    keyboard.text('Cancel campaign', `ca:cancel:${id}`);
  if (campaign.status === 'running' || campaign.status === 'paused')
    keyboard.text('Refresh', `co:${id}`);
  return keyboard;
}

// ---- changes ----

async function confirmCancel(kit: AdminKit, ctx: Context, id: string): Promise<void> {
  const campaign = await kit.store.campaigns.findById(id);
  if (!campaign) return;
  await replyHtml(
    ctx,
    html`Cancel <b>${campaign.title}</b>? Messages not yet sent will never go out.`,
    {
      reply_markup: new InlineKeyboard().text('Yes, cancel it', `ca:cancel!:${id}`),
    },
  );
}

async function changeCampaign(
  kit: AdminKit,
  ctx: Context,
  action: 'pause' | 'resume' | 'cancel',
  id: string,
): Promise<void> {
  if (!servicePresent(kit)) return notAvailable(ctx);
  try {
    const text = await applyChange(kit.campaigns, action, id);
    await kit.audit.record(ctx.from!.id, `campaign.${action}`, { campaignId: id });
    await replyHtml(ctx, text);
  } catch (error) {
    if (!(error instanceof Error) || !REFUSALS.has(error.name)) throw error;
    await replyHtml(ctx, html`Not done: ${error.message}.`);
  }
}

async function applyChange(
  campaigns: CampaignPort,
  action: 'pause' | 'resume' | 'cancel',
  id: string,
): Promise<Html> {
  if (action === 'pause') {
    const campaign = await campaigns.pause(id);
    return html`Paused <b>${campaign.title}</b>. Messages not yet sent wait; /campaign_resume ${id} continues.`;
  }
  if (action === 'resume') {
    const campaign = await campaigns.resume(id);
    return html`Resumed <b>${campaign.title}</b>: it goes on where it stopped.`;
  }
  const { campaign, cancelled } = await campaigns.cancel(id);
  return html`Cancelled <b>${campaign.title}</b>: ${cancelled} message(s) will not be sent.`;
}

async function sendTest(
  kit: AdminKit,
  leads: LeadService,
  ctx: Context,
  id: string,
  rawPhone: string,
): Promise<void> {
  const campaign = await kit.store.campaigns.findById(id);
  if (!campaign) {
    await replyHtml(ctx, html`There is no campaign with the id ${id}; /campaigns lists them.`);
    return;
  }
  const phone = leads.parsePhone(rawPhone);
  if (!phone.ok) {
    await replyHtml(ctx, html`${sentence(phone.reason)}`);
    return;
  }
  const lead = await kit.store.leads.findByPhone(phone.value);
  if (lead?.optedOutAt) {
    await replyHtml(ctx, html`${phone.value} opted out of messages; test with your own number.`);
    return;
  }

  const now = kit.clock.now();
  const content = renderTemplate(
    campaign.message,
    { name: lead?.name, phone: phone.value },
    seededRandom(`${id}:test`),
  );
  const message = await kit.store.messages.insertOne({
    kind: 'system',
    dedupeKey: `system:campaign-test:${id}:${phone.value}:${now.getTime()}`,
    to: phone.value,
    content,
    notBefore: now,
    ...(campaign.imageUrl ? { mediaUrl: campaign.imageUrl } : {}),
    ...(lead ? { leadId: lead._id } : {}),
  });
  kit.dispatcher?.wake();
  await kit.audit.record(ctx.from!.id, 'campaign.test', {
    campaignId: id,
    phone: phone.value,
    messageId: String(message?._id),
  });
  await replyHtml(
    ctx,
    html`Test of <b>${campaign.title}</b> queued for ${phone.value}; it goes out ahead of campaign messages:
<i>${truncate(content, 600)}</i>`,
  );
}
