import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Context } from 'grammy';
import {
  previewTemplate,
  SAMPLE_LEAD,
  validateTemplate,
  type TemplateLead,
} from '../domain/template.js';
import {
  estimateSendSeconds,
  formatDuration,
  parseDelays,
  parseWhen,
  type Delays,
  type Parsed,
} from '../domain/when.js';
import type { Audience } from '../store/index.js';
import { describeTarget, parseImageUrl, parseTarget, splitFields } from './campaign-input.js';
import { replyHtml, type AdminConversation, type AdminKit } from './context.js';
import { Form, plainText, textAnswer } from './form.js';
import { formatTime, html, joinHtml, truncate, type Html } from './html.js';

/** Largest campaign image accepted from Telegram, in bytes (10 MB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** Longest campaign message, in characters (what the campaign rules accept). */
export const MAX_MESSAGE_LENGTH = 4096;

/** A campaign as the wizard or the one-line form collected it. */
export interface CampaignDraft {
  title: string;
  message: string;
  imageUrl?: string;
  target: Audience;
  scheduledAt: Date;
  minDelaySeconds: number;
  maxDelaySeconds: number;
}

const USAGE =
  '/campaign_new Title | Message | when | target | gaps (gaps and an image link at the end are optional)';

/** Checks a campaign message: length and template syntax. */
export function checkMessage(text: string): Parsed<string> {
  const length = plainText('message', MAX_MESSAGE_LENGTH)(text);
  if (!length.ok) return length;
  const problems = validateTemplate(text);
  return problems.length ? { ok: false, reason: problems.join('; ') } : length;
}

function defaultDelays(kit: AdminKit): Delays {
  return {
    minDelaySeconds: kit.config.DEFAULT_MIN_DELAY_SECONDS,
    maxDelaySeconds: kit.config.DEFAULT_MAX_DELAY_SECONDS,
  };
}

/**
 * The /campaign_new conversation: title, message (answered with a preview for a
 * real lead), image (photo, link or skip), target, when, gaps, then a summary with
 * the recipient count and how long sending will take, to confirm. Every bad answer
 * is explained and asked again; reads and writes happen in `conversation.external`.
 */
export function campaignWizard(kit: AdminKit) {
  return async function campaignNew(conversation: AdminConversation, ctx: Context): Promise<void> {
    const form = new Form(conversation, ctx, 'campaign');
    const content = await askContent(kit, form, conversation);
    const delivery = await askDelivery(kit, form, conversation);
    const { sample, ...rest } = content;
    const draft: CampaignDraft = { ...rest, ...delivery };

    const recipients = await conversation.external(() =>
      kit.store.leads.countAudience(draft.target),
    );
    const confirmed = await form.ask<boolean>({
      text: summary(kit, draft, recipients, sample),
      choices: [
        { label: 'Schedule', value: true },
        { label: 'Cancel', value: false },
      ],
      read: textAnswer(readYesNo),
    });
    if (!confirmed) {
      await ctx.reply('Cancelled: the campaign was not saved.');
      return;
    }
    await conversation.external((outer) => saveCampaign(kit, outer, draft));
  };
}

/** Title, message (previewed for a real lead) and image. */
async function askContent(kit: AdminKit, form: Form, conversation: AdminConversation) {
  const title = await form.ask({
    text: html`New campaign. What is its title? (only admins see it)`,
    read: textAnswer(plainText('title', 100)),
  });
  const message = await form.ask({
    text: html`Now the message, as leads will read it. {{first_name}} or {{name}} put in their name; {Hi|Hello} picks one of the words at random.`,
    read: textAnswer(checkMessage),
  });
  const sample = await conversation.external(() => sampleLead(kit));
  await replyHtml(
    form.ctx,
    html`Preview for ${sample.name || sample.phone}:\n<i>${previewTemplate(message, sample)}</i>`,
  );

  const imageUrl = await form.ask<string | null>({
    text: html`An image with it? Send a photo or an http(s) link to one, or press Skip.`,
    choices: [{ label: 'Skip', value: null }],
    read: async (answer) => {
      const photo = answer.message?.photo?.at(-1);
      if (!photo) return textAnswer(parseImageUrl)(answer);
      const path = await conversation.external(() =>
        savePhoto(kit, photo.file_id, photo.file_unique_id),
      );
      return { ok: true, value: path };
    },
  });
  return { title, message, sample, ...(imageUrl ? { imageUrl } : {}) };
}

/** Audience, start time and gaps. */
async function askDelivery(kit: AdminKit, form: Form, conversation: AdminConversation) {
  const zone = kit.config.ADMIN_TIMEZONE;
  const nowMs = () => conversation.external(() => kit.clock.now().getTime());
  const target = await form.ask<Audience>({
    text: html`Who gets it? Press a button, or type the audience and tags, like: prospect vip, madrid (leads with one of those tags).`,
    choices: [
      { label: 'Prospects', value: { status: 'prospect' } },
      { label: 'Customers', value: { status: 'customer' } },
      { label: 'All leads', value: { status: 'all' } },
    ],
    read: textAnswer(parseTarget),
  });
  const when = await form.ask<number | null>({
    text: html`When should it start? now, a date and time like 2026-12-05 10:00, in 2h, or tomorrow 09:30 (times in ${zone}).`,
    choices: [{ label: 'Now', value: null }],
    read: async (answer) => {
      const now = new Date(await nowMs());
      const parsed = await textAnswer((text) => parseWhen(text, now, zone))(answer);
      return parsed.ok ? { ok: true, value: parsed.value.getTime() } : parsed;
    },
  });
  const scheduledAt = new Date(when ?? (await nowMs()));
  const defaults = defaultDelays(kit);
  const delays = await form.ask<Delays>({
    text: html`Gap between two messages, in seconds: a range like 10-30 gives a random gap each time, which looks less like a robot.`,
    choices: [
      {
        label: `Default (${defaults.minDelaySeconds}–${defaults.maxDelaySeconds} s)`,
        value: defaults,
      },
    ],
    read: textAnswer((text) => parseDelays(text, defaults, kit.config.MIN_DELAY_FLOOR_SECONDS)),
  });
  return { target, scheduledAt, ...delays };
}

function readYesNo(text: string): Parsed<boolean> {
  if (/^(y|yes|ok|schedule)$/i.test(text)) return { ok: true, value: true };
  if (/^(n|no|cancel)$/i.test(text)) return { ok: true, value: false };
  return { ok: false, reason: 'press Schedule or Cancel' };
}

/** The confirmation text: everything chosen, the recipients now and the time sending takes. */
function summary(
  kit: AdminKit,
  draft: CampaignDraft,
  recipients: number,
  sample: TemplateLead,
): Html {
  const zone = kit.config.ADMIN_TIMEZONE;
  const limits = { hourlyCap: kit.config.HOURLY_CAP, dailyCap: kit.config.DAILY_CAP };
  const seconds = estimateSendSeconds(recipients, draft, limits);
  const finish = new Date(draft.scheduledAt.getTime() + seconds * 1000);
  const audience = recipients
    ? html`${recipients} lead(s) match now (counted again when it starts)`
    : html`no lead matches yet; it goes to whoever matches when it starts`;
  return joinHtml([
    html`<b>Check and confirm</b>`,
    html`Title: ${draft.title}`,
    html`Starts: ${formatTime(draft.scheduledAt, zone)} (${zone})`,
    html`To: ${describeTarget(draft.target)}: ${audience}`,
    html`Gaps: ${draft.minDelaySeconds}–${draft.maxDelaySeconds} s · sending takes about ${formatDuration(seconds)}, until about ${formatTime(finish, zone)}`,
    html`Image: ${draft.imageUrl ? 'yes' : 'none'}`,
    html`Message for ${sample.name || sample.phone}:\n<i>${truncate(previewTemplate(draft.message, sample), 600)}</i>`,
  ]);
}

/** Any lead to preview a message for, or the sample lead when there is none. */
async function sampleLead(kit: AdminKit): Promise<TemplateLead> {
  const cursor = kit.store.leads.audienceCursor({ status: 'all' });
  const lead = await cursor.next();
  await cursor.close();
  return lead ? { name: lead.name, phone: lead.phone } : SAMPLE_LEAD;
}

/** Stores a photo an admin sent under DATA_DIR/uploads and returns its absolute path. */
async function savePhoto(kit: AdminKit, fileId: string, uniqueId: string): Promise<string> {
  const data = await kit.downloadFile(fileId, MAX_IMAGE_BYTES);
  const folder = resolve(kit.config.DATA_DIR, 'uploads');
  await mkdir(folder, { recursive: true });
  const path = join(folder, `${uniqueId.replace(/[^A-Za-z0-9_-]/g, '')}.jpg`);
  await writeFile(path, data);
  return path;
}

/** Creates the campaign through the service and tells the admin when it starts. */
export async function saveCampaign(
  kit: AdminKit,
  ctx: Context,
  draft: CampaignDraft,
): Promise<void> {
  const outcome = await kit.campaigns!.create({ ...draft, createdBy: ctx.from!.id });
  if (!outcome.ok) {
    const problems = outcome.problems.map((problem) => html`• ${problem}`);
    await replyHtml(ctx, joinHtml([html`Not saved. Fix these and try again:`, ...problems]));
    return;
  }
  const campaign = outcome.campaign;
  const id = campaign._id.toHexString();
  await kit.audit.record(ctx.from!.id, 'campaign.created', {
    campaignId: id,
    title: campaign.title,
  });
  const starts =
    campaign.scheduledAt.getTime() <= kit.clock.now().getTime()
      ? html`starts now`
      : html`starts ${formatTime(campaign.scheduledAt, kit.config.ADMIN_TIMEZONE)}`;
  await replyHtml(
    ctx,
    html`Scheduled <b>${campaign.title}</b>: ${starts}. Follow it with /campaign ${id}`,
  );
}

/**
 * The one-line form: `Title | Message | when | target | gaps | image link`, the last
 * two optional. Every field is checked as the wizard checks it and all problems are
 * listed at once.
 */
export async function createCampaignFromLine(
  kit: AdminKit,
  ctx: Context,
  line: string,
): Promise<void> {
  const [title = '', message = '', when = '', target = '', gaps = '', image = ''] =
    splitFields(line);
  const now = kit.clock.now();
  const checks = {
    title: plainText('title', 100)(title),
    message: checkMessage(message),
    when: when
      ? parseWhen(when, now, kit.config.ADMIN_TIMEZONE)
      : missing('when it starts, like now or 2026-12-05 10:00'),
    target: target ? parseTarget(target) : missing('who gets it: prospect, customer or all'),
    gaps: gaps
      ? parseDelays(gaps, defaultDelays(kit), kit.config.MIN_DELAY_FLOOR_SECONDS)
      : ok(defaultDelays(kit)),
    image: image ? parseImageUrl(image) : ok(undefined),
  };
  const problems = Object.entries(checks).flatMap(([field, check]) =>
    check.ok ? [] : [html`• ${field}: ${check.reason}`],
  );
  if (problems.length) {
    await replyHtml(
      ctx,
      joinHtml([
        html`Not saved. Fix these and send again:`,
        ...problems,
        html`Write it as ${USAGE}, or send /campaign_new alone and I will ask.`,
      ]),
    );
    return;
  }

  const value = <T>(check: Parsed<T>) => (check as { value: T }).value;
  const imageUrl = value(checks.image);
  await saveCampaign(kit, ctx, {
    title: value(checks.title),
    message: value(checks.message),
    scheduledAt: value(checks.when),
    target: value(checks.target),
    ...value(checks.gaps),
    ...(imageUrl ? { imageUrl } : {}),
  });
}

function missing(what: string): Parsed<never> {
  return { ok: false, reason: `missing: ${what}` };
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}
