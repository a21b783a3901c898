import { createConversation } from '@grammyjs/conversations';
import { Composer, InputFile, type Context } from 'grammy';
import { DateTime } from 'luxon';
import { maskPhone } from '../src/domain/phone.js';
import { TEMPERATURES } from '../src/domain/status.js';
import type { Parsed } from '../src/domain/when.js';
import { ArgCommands, checkedText, textQuestion } from '../src/admin/args.js';
import {
  replyHtml,
  type AdminContext,
  type AdminConversation,
  type AdminKit,
  type AdminModule,
} from '../src/admin/context.js';
import { badRowsCsv, LEAD_EXPORT_HEADER, leadRow, toCsv } from '../src/admin/csv.js';
import { FileTooLargeError } from '../src/admin/files.js';
import { ANSWER_TIMEOUT_MS, Form, plainText, textAnswer } from '../src/admin/form.js';
import { formatTime, html, joinHtml, sentence, type Html } from '../src/admin/html.js';
import { importLeadsCsv, ImportRejectedError, MAX_IMPORT_BYTES } from '../src/leads/import-csv.js';
import {
  LeadService,
  MAX_NAME_LENGTH,
  parseLeadStatus,
  parseTagChanges,
  parseTagList,
} from '../src/leads/service.js';
import type { Lead } from '../src/store/index.js';

/** How many refused rows an import answer lists (the attached file has them all). */
export const BAD_ROWS_SHOWN = 10;

const CSV_TYPES = new Set([
  'text/csv',
  'text/comma-separated-values',
  'application/csv',
  'text/plain',
]);

/**
 * Lead commands: /leads, /lead, /lead_add (one line or a wizard), /lead_status,
 * /lead_tag, CSV import by sending a .csv document, and /export_leads.
 */
export function leadCommands(kit: AdminKit): AdminModule {
  const composer = new Composer<AdminContext>();
  const service = new LeadService(kit.store.leads, kit.config.DEFAULT_COUNTRY);
  const args = new ArgCommands('lead_args');
  const phone = (text: string): Parsed<string> => service.parsePhone(text);

  composer.command('leads', async (ctx) => replyHtml(ctx, await leadCounts(kit)));
  args.register(composer, {
    command: 'lead',
    usage: '/lead <phone>',
    questions: [textQuestion('Which lead? Send the phone number.', phone)],
    split: (line) => ({ ok: true, value: [line] }),
    run: (ctx, [raw]) => showLead(kit, service, ctx, raw!),
  });
  composer.command('lead_add', (ctx) => addLead(kit, service, ctx));
  args.register(composer, {
    command: 'lead_status',
    usage: '/lead_status <phone> <prospect|customer>',
    questions: [
      textQuestion('Which lead? Send the phone number.', phone),
      textQuestion('New status: prospect or customer?', checkedText(parseLeadStatus)),
    ],
    split: splitLastWord,
    run: (ctx, [raw, status]) => setStatus(kit, service, ctx, raw!, status!),
  });
  args.register(composer, {
    command: 'lead_tag',
    usage: '/lead_tag <phone> +tag -tag',
    questions: [
      textQuestion('Which lead? Send the phone number.', phone),
      textQuestion(
        'Which tags? Write +tag to add and -tag to remove, like +vip -old.',
        checkedText(parseTagChanges),
      ),
    ],
    split: splitTagChanges,
    run: (ctx, [raw, changes]) => changeTags(kit, service, ctx, raw!, changes!),
  });
  composer.on('message:document', (ctx) => importDocument(kit, ctx));
  composer.command('export_leads', (ctx) => exportLeads(kit, ctx));

  return {
    composer,
    conversations: [
      args.conversation(),
      createConversation<AdminContext, Context>(leadWizard(kit, service), {
        id: 'lead_add',
        maxMillisecondsToWait: ANSWER_TIMEOUT_MS,
      }) as never,
    ],
    help: {
      title: 'Leads',
      lines: [
        ['/leads', 'counts by status and temperature'],
        ['/lead <phone>', 'one lead'],
        ['/lead_add', 'add a lead; or /lead_add phone | name | status | tags'],
        ['/lead_status <phone> <prospect|customer>', 'change a status'],
        ['/lead_tag <phone> +tag -tag', 'add and remove tags'],
        ['(send a .csv file)', 'import leads: columns phone, name, status, tags'],
        ['/export_leads', 'every lead as a CSV file'],
      ],
    },
  };
}

/** `<phone words> <last word>`: a phone may contain spaces, the status cannot. */
function splitLastWord(line: string): Parsed<string[]> {
  const words = line.split(/\s+/);
  if (words.length < 2) return { ok: false, reason: 'give the phone number and then the status' };
  return { ok: true, value: [words.slice(0, -1).join(' '), words.at(-1)!] };
}

/** `<phone words> +tag -tag`: the tag changes start at the first +letter or -letter word. */
function splitTagChanges(line: string): Parsed<string[]> {
  const words = line.split(/\s+/);
  const first = words.findIndex((word, i) => i > 0 && /^[+-]\p{L}/u.test(word));
  if (first < 0) return { ok: false, reason: 'give the phone number and then tags like +vip -old' };
  return { ok: true, value: [words.slice(0, first).join(' '), words.slice(first).join(' ')] };
}

async function leadCounts(kit: AdminKit): Promise<Html> {
  const [total, optedOut, byStatus, byTemperature] = await Promise.all([
    kit.store.leads.count(),
    kit.store.leads.countOptedOut(),
    kit.store.leads.countBy('status'),
    kit.store.leads.countBy('temperature'),
  ]);
  const statuses = `prospect ${byStatus.prospect ?? 0} · customer ${byStatus.customer ?? 0}`;
  const temperatures = TEMPERATURES.map((t) => `${t} ${byTemperature[t] ?? 0}`).join(' · ');
  return html`<b>Leads</b>: ${total} (${optedOut} opted out, not counted below)
By status: ${statuses}
By temperature: ${temperatures}`;
}

/** A lead's card: everything an admin looks for about one lead. */
export async function leadCard(kit: AdminKit, lead: Lead): Promise<Html> {
  const zone = kit.config.ADMIN_TIMEZONE;
  const enrollments = await kit.store.enrollments.findActiveByLead(lead._id);
  const names = await Promise.all(
    enrollments.map(async (e) => (await kit.store.sequences.findById(e.sequenceId))?.name ?? '?'),
  );
  const lines = [
    html`<b>${lead.name || 'No name'}</b> ${lead.phone}`,
    html`Status: ${lead.status} · temperature: ${lead.temperature}`,
    html`Tags: ${lead.tags.length ? lead.tags.join(', ') : 'none'}`,
    html`Source: ${lead.source} · added ${formatTime(lead.createdAt, zone)}`,
  ];
  if (lead.lastInboundAt)
    lines.push(html`Last message from them: ${formatTime(lead.lastInboundAt, zone)}`);
  if (lead.optedOutAt)
    lines.push(html`⛔ Opted out ${formatTime(lead.optedOutAt, zone)}: never messaged`);
  if (names.length) lines.push(html`Sequences: ${names.join(', ')}`);
  return joinHtml(lines);
}

async function showLead(
  kit: AdminKit,
  service: LeadService,
  ctx: Context,
  raw: string,
): Promise<void> {
  const found = await service.find(raw);
  if (!found.ok) return refuse(ctx, found.reason);
  await replyHtml(ctx, await leadCard(kit, found.lead));
}

async function setStatus(
  kit: AdminKit,
  service: LeadService,
  ctx: Context,
  raw: string,
  status: string,
) {
  const result = await service.setStatus(raw, status);
  if (!result.ok) return refuse(ctx, result.reason);
  const { before, after } = result.lead;
  await kit.audit.record(ctx.from!.id, 'lead.status', {
    phone: maskPhone(after.phone),
    from: before.status,
    to: after.status,
  });
  const who = after.name || after.phone;
  await replyHtml(ctx, html`${who} is now a ${after.status} (was a ${before.status}).`);
}

async function changeTags(
  kit: AdminKit,
  service: LeadService,
  ctx: Context,
  raw: string,
  text: string,
) {
  const changes = parseTagChanges(text);
  if (!changes.ok) return refuse(ctx, changes.reason);
  const result = await service.changeTags(raw, changes.value);
  if (!result.ok) return refuse(ctx, result.reason);
  await kit.audit.record(ctx.from!.id, 'lead.tags', {
    phone: maskPhone(result.lead.phone),
    added: changes.value.add,
    removed: changes.value.remove,
  });
  const tags = result.lead.tags.length ? result.lead.tags.join(', ') : 'none';
  await replyHtml(ctx, html`Tags of ${result.lead.name || result.lead.phone}: ${tags}`);
}

async function refuse(ctx: Context, reason: string): Promise<void> {
  await replyHtml(ctx, html`${sentence(reason)}`);
}

// ---- adding a lead ----

async function addLead(kit: AdminKit, service: LeadService, ctx: AdminContext): Promise<void> {
  const line = (ctx.message?.text ?? '').replace(/^\/\S+/, '').trim();
  if (!line) {
    await ctx.conversation.enter('lead_add');
    return;
  }
  const [phone = '', name, status, tags] = line.split('|').map((part) => part.trim());
  const tagList = parseTagList(tags ?? '');
  if (!tagList.ok) return refuse(ctx, tagList.reason);
  await saveLead(kit, service, ctx, {
    phone,
    name,
    status: status || undefined,
    tags: tagList.value,
  });
}

async function saveLead(
  kit: AdminKit,
  service: LeadService,
  ctx: Context,
  input: { phone: string; name?: string; status?: string; tags: string[] },
): Promise<void> {
  const result = await service.add(input);
  if (!result.ok) {
    await replyHtml(
      ctx,
      html`${sentence(result.reason)}
Write it as /lead_add phone | name | status | tags, or send /lead_add alone and I will ask.`,
    );
    return;
  }
  await kit.audit.record(ctx.from!.id, 'lead.created', { phone: maskPhone(result.lead.phone) });
  await replyHtml(ctx, html`Added:\n${await leadCard(kit, result.lead)}`);
}

function leadWizard(kit: AdminKit, service: LeadService) {
  return async function leadAdd(conversation: AdminConversation, ctx: Context): Promise<void> {
    const form = new Form(conversation, ctx, 'new lead');
    const phone = await form.ask({
      text: html`New lead. What is the phone number? (with the country code, like +34 600 111 222)`,
      read: async (answer) => {
        const parsed = await textAnswer((text) => service.parsePhone(text))(answer);
        if (!parsed.ok) return parsed;
        const taken = await conversation.external(
          async () => !!(await kit.store.leads.findByPhone(parsed.value)),
        );
        return taken
          ? { ok: false, reason: `${parsed.value} is already a lead (/lead ${parsed.value})` }
          : parsed;
      },
    });
    const name = await form.ask({
      text: html`Their name? (or press No name)`,
      choices: [{ label: 'No name', value: '' }],
      read: textAnswer(plainText('name', MAX_NAME_LENGTH)),
    });
    const status = await form.ask({
      text: html`Prospect or customer?`,
      choices: [
        { label: 'Prospect', value: 'prospect' },
        { label: 'Customer', value: 'customer' },
      ],
      read: textAnswer((text) => parseLeadStatus(text)),
    });
    const tags = await form.ask<string[]>({
      text: html`Tags, separated by commas? (or press No tags)`,
      choices: [{ label: 'No tags', value: [] }],
      read: textAnswer(parseTagList),
    });
    await conversation.external((outer) =>
      saveLead(kit, service, outer, { phone, name, status, tags }),
    );
  };
}

// ---- CSV ----

async function importDocument(kit: AdminKit, ctx: AdminContext): Promise<void> {
  const document = ctx.message!.document!;
  const fileName = document.file_name ?? 'file';
  const isCsv = fileName.toLowerCase().endsWith('.csv') || CSV_TYPES.has(document.mime_type ?? '');
  if (!isCsv) {
    await replyHtml(
      ctx,
      html`To import leads, send a .csv file with the columns phone, name, status, tags (only phone is required).`,
    );
    return;
  }
  if ((document.file_size ?? 0) > MAX_IMPORT_BYTES) {
    await ctx.reply(
      'That file is larger than 5 MB; split it into smaller files and send them one by one.',
    );
    return;
  }

  const working = await ctx.reply(`Importing ${fileName}…`);
  const answer = await runImport(kit, ctx, document.file_id, fileName);
  // The file goes first and the summary last, so the summary ends the answer.
  if (answer.badRows) {
    const name = fileName.replace(/\.csv$/i, '') + '-problems.csv';
    await ctx.replyWithDocument(new InputFile(answer.badRows, name), {
      caption: 'Every row that was not imported, with its line and the reason.',
    });
  }
  await ctx.api.editMessageText(ctx.chat!.id, working.message_id, answer.text.value, {
    parse_mode: 'HTML',
  });
}

async function runImport(
  kit: AdminKit,
  ctx: Context,
  fileId: string,
  fileName: string,
): Promise<{ text: Html; badRows?: Buffer }> {
  let report;
  try {
    const data = await kit.downloadFile(fileId, MAX_IMPORT_BYTES);
    report = await importLeadsCsv(kit.store.leads, data, {
      defaultCountry: kit.config.DEFAULT_COUNTRY,
      source: 'csv',
    });
  } catch (error) {
    if (error instanceof ImportRejectedError || error instanceof FileTooLargeError) {
      return { text: html`Nothing was imported from ${fileName}: ${error.message}.` };
    }
    throw error;
  }

  const { rows, created, updated, unchanged, errors } = report;
  await kit.audit.record(ctx.from!.id, 'leads.imported', {
    fileName,
    rows,
    created,
    updated,
    unchanged,
    refused: errors.length,
  });
  const lines = [
    html`Imported ${fileName}: ${rows} row(s).`,
    html`${created} new, ${updated} updated, ${unchanged} unchanged, ${errors.length} with problems.`,
  ];
  if (!errors.length) return { text: joinHtml(lines) };

  lines.push(html``, html`<b>Rows not imported</b>:`);
  lines.push(...errors.slice(0, BAD_ROWS_SHOWN).map((e) => html`line ${e.line}: ${e.reason}`));
  if (errors.length > BAD_ROWS_SHOWN)
    lines.push(html`…and ${errors.length - BAD_ROWS_SHOWN} more.`);
  lines.push(html``, html`Fix them in the attached file and send it again.`);
  return { text: joinHtml(lines), badRows: badRowsCsv(errors) };
}

async function exportLeads(kit: AdminKit, ctx: Context): Promise<void> {
  const zone = kit.config.ADMIN_TIMEZONE;
  const rows: string[][] = [];
  for await (const lead of kit.store.leads.cursor()) rows.push(leadRow(lead as Lead, zone));
  if (!rows.length) {
    await ctx.reply('There are no leads yet: add one with /lead_add or send a .csv file.');
    return;
  }
  const day = DateTime.fromJSDate(kit.clock.now(), { zone }).toFormat('yyyy-MM-dd');
  await kit.audit.record(ctx.from!.id, 'leads.exported', { count: rows.length });
  await ctx.replyWithDocument(new InputFile(toCsv(LEAD_EXPORT_HEADER, rows), `leads-${day}.csv`), {
    caption: `${rows.length} lead(s).`,
  });
}
