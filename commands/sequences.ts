import { createConversation } from '@grammyjs/conversations';
import { Composer, InlineKeyboard, type Context } from 'grammy';
import type { Parsed } from '../src/domain/when.js';
import { anyText, ArgCommands, textQuestion } from '../src/admin/args.js';
import { splitFields } from '../src/admin/campaign-input.js';
import {
  commandArgs,
  replyHtml,
  type AdminContext,
  type AdminKit,
  type AdminModule,
} from '../src/admin/context.js';
import { ANSWER_TIMEOUT_MS } from '../src/admin/form.js';
import { formatTime, html, joinHtml, sentence, truncate, type Html } from '../src/admin/html.js';
import {
  parseStepWhen,
  splitNameAndNumber,
  splitPhoneAndName,
} from '../src/admin/sequence-input.js';
import {
  changeSteps,
  checkStepContent,
  createSequenceFromLine,
  findSequence,
  problemsText,
  sequenceCard,
  sequenceWizard,
  stepAddWizard,
  stepEditWizard,
} from '../src/admin/sequence-wizard.js';
import type { SequencePort } from '../src/admin/ports.js';
import { LeadService } from '../src/leads/service.js';
import type { Sequence } from '../src/store/index.js';

/** Sequences per page of /sequences. */
export const SEQUENCES_PER_PAGE = 5;

const STEP_USAGE = '/step_add Sequence | day [time] | text';
const EDIT_USAGE = '/step_edit Sequence | step number | day [time] | text';

const WHICH_SEQUENCE = textQuestion(
  'Which sequence? Send its name (/sequences lists them).',
  anyText,
);

/**
 * Sequence commands: /sequence_new (wizard or one line), /sequences (paged),
 * /sequence, /sequence_on, /sequence_off, /step_add, /step_edit, /step_remove,
 * /enroll and /unenroll.
 */
export function sequenceCommands(kit: AdminKit): AdminModule {
  const composer = new Composer<AdminContext>();
  const args = new ArgCommands('sequence_args');

  composer.command('sequence_new', async (ctx) => {
    if (!kit.sequences) return notAvailable(ctx);
    const line = commandArgs(ctx);
    if (line) await createSequenceFromLine(kit, ctx, line);
    else await ctx.conversation.enter('sequence_new');
  });
  registerViews(kit, composer, args);
  registerSteps(kit, composer, args);
  registerEnrollment(kit, composer, args);

  return {
    composer,
    conversations: [
      args.conversation(),
      conversation(sequenceWizard(kit), 'sequence_new'),
      conversation(stepAddWizard(kit), 'step_add'),
      conversation(stepEditWizard(kit), 'step_edit'),
    ],
    help: {
      title: 'Sequences',
      lines: [
        [
          '/sequence_new',
          'create one, step by step; or /sequence_new Name | keywords | day [time] | text',
        ],
        ['/sequences', 'all sequences'],
        ['/sequence <name>', 'its trigger, steps and enrollments'],
        ['/sequence_on <name>', 'let leads join'],
        ['/sequence_off <name>', 'stop new leads joining (those in it go on)'],
        ['/step_add', `add a step; or ${STEP_USAGE}`],
        ['/step_edit', `change a step; or ${EDIT_USAGE}`],
        ['/step_remove <sequence> <n>', 'remove step n'],
        ['/enroll <phone> <sequence>', 'put a lead in a sequence'],
        ['/unenroll <phone> <sequence>', 'take a lead out; steps not sent are cancelled'],
      ],
    },
  };
}

/** /sequences with its buttons, /sequence, /sequence_on and /sequence_off. */
function registerViews(kit: AdminKit, composer: Composer<AdminContext>, args: ArgCommands): void {
  composer.command('sequences', async (ctx) => {
    const page = await sequencePage(kit, 0);
    await replyHtml(ctx, page.text, { reply_markup: page.keyboard });
  });
  composer.callbackQuery(/^sl:(\d+)$/, async (ctx) => {
    const page = await sequencePage(kit, Number(ctx.match[1]));
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(page.text.value, { parse_mode: 'HTML', reply_markup: page.keyboard });
  });
  composer.callbackQuery(/^so:([0-9a-f]{24})$/, async (ctx) => {
    await ctx.answerCallbackQuery();
    await showSequence(kit, ctx, ctx.match[1]!);
  });
  composer.callbackQuery(/^sq:(on|off|add):([0-9a-f]{24})$/, async (ctx) => {
    const [, action, id] = ctx.match as RegExpMatchArray;
    await ctx.answerCallbackQuery();
    if (action === 'add') await ctx.conversation.enter('step_add', id);
    else await switchSequence(kit, ctx, id!, action === 'on');
  });
  args.register(composer, {
    command: 'sequence',
    usage: '/sequence <name>',
    questions: [WHICH_SEQUENCE],
    split: (line) => ({ ok: true, value: [line] }),
    run: (ctx, [name]) => showSequence(kit, ctx, name!),
  });
  for (const on of [true, false]) {
    args.register(composer, {
      command: on ? 'sequence_on' : 'sequence_off',
      usage: `/sequence_${on ? 'on' : 'off'} <name>`,
      questions: [WHICH_SEQUENCE],
      split: (line) => ({ ok: true, value: [line] }),
      run: (ctx, [name]) => switchSequence(kit, ctx, name!, on),
    });
  }
}

/** /step_add, /step_edit and /step_remove. */
function registerSteps(kit: AdminKit, composer: Composer<AdminContext>, args: ArgCommands): void {
  composer.command('step_add', async (ctx) => {
    const line = commandArgs(ctx);
    if (line) await addStepFromLine(kit, ctx, line);
    else await ctx.conversation.enter('step_add');
  });
  composer.command('step_edit', async (ctx) => {
    const line = commandArgs(ctx);
    if (line) await editStepFromLine(kit, ctx, line);
    else await ctx.conversation.enter('step_edit');
  });
  const stepNumber = (t: string): Parsed<string> =>
    /^\d{1,3}$/.test(t)
      ? { ok: true, value: t }
      : { ok: false, reason: 'send the step number, like 2' };
  args.register(composer, {
    command: 'step_remove',
    usage: '/step_remove <sequence> <step number>',
    questions: [WHICH_SEQUENCE, textQuestion('Which step number?', stepNumber)],
    split: (line) => {
      const parts = splitNameAndNumber(line);
      return parts.ok ? { ok: true, value: [parts.value[0], String(parts.value[1])] } : parts;
    },
    run: (ctx, [name, number]) => removeStep(kit, ctx, name!, Number(number)),
  });
}

/** /enroll and /unenroll. */
function registerEnrollment(kit: AdminKit, composer: Composer<AdminContext>, args: ArgCommands) {
  const leads = new LeadService(kit.store.leads, kit.config.DEFAULT_COUNTRY);
  const whichLead = textQuestion('Which lead? Send the phone number.', (t) => leads.parsePhone(t));
  for (const enroll of [true, false]) {
    args.register(composer, {
      command: enroll ? 'enroll' : 'unenroll',
      usage: `/${enroll ? 'enroll' : 'unenroll'} <phone> <sequence>`,
      questions: [whichLead, WHICH_SEQUENCE],
      split: (line) => splitPhoneAndName(line) as Parsed<string[]>,
      run: (ctx, [phone, name]) =>
        (enroll ? enrollLead : unenrollLead)(kit, leads, ctx, phone!, name!),
    });
  }
}

function conversation(
  builder: Parameters<typeof createConversation<AdminContext, Context>>[0],
  id: string,
) {
  return createConversation<AdminContext, Context>(builder, {
    id,
    maxMillisecondsToWait: ANSWER_TIMEOUT_MS,
  }) as never;
}

async function notAvailable(ctx: Context): Promise<void> {
  await ctx.reply('Sequences are not available in this process.');
}

async function sequenceOrSay(kit: AdminKit, ctx: Context, name: string): Promise<Sequence | null> {
  const sequence = await findSequence(kit, name);
  if (!sequence)
    await replyHtml(ctx, html`There is no sequence called "${name}"; /sequences lists them.`);
  return sequence;
}

// ---- list and card ----

async function sequencePage(
  kit: AdminKit,
  page: number,
): Promise<{ text: Html; keyboard: InlineKeyboard }> {
  const total = await kit.store.sequences.count();
  const pages = Math.max(1, Math.ceil(total / SEQUENCES_PER_PAGE));
  const current = Math.min(Math.max(0, page), pages - 1);
  const sequences = await kit.store.sequences.list(
    current * SEQUENCES_PER_PAGE,
    SEQUENCES_PER_PAGE,
  );
  const keyboard = new InlineKeyboard();
  if (!sequences.length)
    return { text: html`No sequences yet. Create one with /sequence_new.`, keyboard };

  const lines = [html`<b>Sequences</b> (${total}), page ${current + 1} of ${pages}:`];
  for (const sequence of sequences) {
    const active = (await kit.store.enrollments.countBy(sequence._id)).active ?? 0;
    lines.push(
      html`\n<b>${sequence.name}</b> · ${sequence.active ? 'on' : 'off'} · ${sequence.steps.length} step(s) over ${sequence.totalDays} day(s) · ${active} active`,
    );
    keyboard.text(truncate(sequence.name, 30), `so:${sequence._id.toHexString()}`).row();
  }
  if (current > 0) keyboard.text('‹ Previous', `sl:${current - 1}`);
  if (current < pages - 1) keyboard.text('Next ›', `sl:${current + 1}`);
  return { text: joinHtml(lines), keyboard };
}

async function showSequence(kit: AdminKit, ctx: Context, name: string): Promise<void> {
  const sequence = await sequenceOrSay(kit, ctx, name);
  if (!sequence) return;
  const id = sequence._id.toHexString();
  const keyboard = new InlineKeyboard()
    .text(sequence.active ? 'Turn off' : 'Turn on', `sq:${sequence.active ? 'off' : 'on'}:${id}`)
    .text('Add a step', `sq:add:${id}`);
  await replyHtml(ctx, await sequenceCard(kit, sequence), { reply_markup: keyboard });
}

// ---- changes ----

async function switchSequence(
  kit: AdminKit,
  ctx: Context,
  name: string,
  active: boolean,
): Promise<void> {
  const sequence = await sequenceOrSay(kit, ctx, name);
  if (!sequence) return;
  if (sequence.active === active) {
    await replyHtml(ctx, html`"${sequence.name}" is already ${active ? 'on' : 'off'}.`);
    return;
  }
  await kit.store.sequences.update(sequence._id, { active });
  await kit.audit.record(ctx.from!.id, active ? 'sequence.on' : 'sequence.off', {
    sequenceId: sequence._id.toHexString(),
  });
  await replyHtml(
    ctx,
    active
      ? html`"${sequence.name}" is on: its trigger works and /enroll can add leads.`
      : html`"${sequence.name}" is off: no new lead joins; leads already in it go on. /sequence_on ${sequence.name} turns it back on.`,
  );
}

async function addStepFromLine(kit: AdminKit, ctx: Context, line: string): Promise<void> {
  const [name = '', when = '', content = ''] = splitFields(line);
  const parsedWhen = parseStepWhen(when);
  const text = checkStepContent(content);
  const problems = [parsedWhen, text].flatMap((p) => (p.ok ? [] : [p.reason]));
  if (problems.length)
    return void (await replyHtml(ctx, problemsText('Not saved', problems, STEP_USAGE)));
  const sequence = await sequenceOrSay(kit, ctx, name);
  if (!sequence) return;
  const step = {
    ...(parsedWhen as { value: { dayNumber: number } }).value,
    content: (text as { value: string }).value,
  };
  await changeSteps(kit, ctx, sequence._id.toHexString(), 'step-added', (steps, seq) =>
    steps.add(seq, step),
  );
}

async function editStepFromLine(kit: AdminKit, ctx: Context, line: string): Promise<void> {
  const [name = '', number = '', when = '', content = ''] = splitFields(line);
  const index = Number(number) - 1;
  const parsedWhen = parseStepWhen(when);
  const text = checkStepContent(content);
  const problems = [parsedWhen, text].flatMap((p) => (p.ok ? [] : [p.reason]));
  if (!Number.isInteger(index) || index < 0) problems.unshift(`"${number}" is not a step number`);
  if (problems.length)
    return void (await replyHtml(ctx, problemsText('Not changed', problems, EDIT_USAGE)));
  const sequence = await sequenceOrSay(kit, ctx, name);
  if (!sequence) return;
  const when2 = (parsedWhen as { value: { dayNumber: number; sendTime?: string } }).value;
  const change = {
    dayNumber: when2.dayNumber,
    sendTime: when2.sendTime,
    content: (text as { value: string }).value,
  };
  await changeSteps(kit, ctx, sequence._id.toHexString(), 'step-edited', (steps, seq) =>
    steps.edit(seq, index, change),
  );
}

async function removeStep(
  kit: AdminKit,
  ctx: Context,
  name: string,
  number: number,
): Promise<void> {
  const sequence = await sequenceOrSay(kit, ctx, name);
  if (!sequence) return;
  await changeSteps(kit, ctx, sequence._id.toHexString(), 'step-removed', (steps, seq) =>
    steps.remove(seq, number - 1),
  );
}

async function enrollLead(
  kit: AdminKit,
  leads: LeadService,
  ctx: Context,
  phone: string,
  name: string,
): Promise<void> {
  const found = await findBoth(kit, leads, ctx, phone, name);
  if (!found) return;
  const { lead, sequence, service } = found;
  const who = lead.name || lead.phone;
  const outcome = await service.enroll(sequence._id, lead._id, 'admin');
  if (outcome.status === 'refused') {
    await replyHtml(ctx, html`Not enrolled: ${outcome.message}.`);
    return;
  }
  if (outcome.status === 'already-enrolled') {
    const step = outcome.enrollment.currentStep + 1;
    await replyHtml(
      ctx,
      html`${who} is already in "${sequence.name}" (next: step ${step} of ${sequence.steps.length}).`,
    );
    return;
  }
  await kit.audit.record(ctx.from!.id, 'sequence.enroll', {
    sequenceId: sequence._id.toHexString(),
    leadId: lead._id.toHexString(),
  });
  const next = outcome.enrollment.nextTriggerAt;
  const first = next
    ? html` The first step goes ${formatTime(next, kit.config.ADMIN_TIMEZONE)}.`
    : html``;
  await replyHtml(ctx, html`Enrolled ${who} in "${sequence.name}".${first}`);
}

async function unenrollLead(
  kit: AdminKit,
  leads: LeadService,
  ctx: Context,
  phone: string,
  name: string,
): Promise<void> {
  const found = await findBoth(kit, leads, ctx, phone, name);
  if (!found) return;
  const { lead, sequence, service } = found;
  const who = lead.name || lead.phone;
  const removed = await service.unenroll(sequence._id, lead._id, 'unenrolled by an admin');
  if (!removed) {
    await replyHtml(ctx, html`${who} is not in "${sequence.name}" right now; nothing changed.`);
    return;
  }
  await kit.audit.record(ctx.from!.id, 'sequence.unenroll', {
    sequenceId: sequence._id.toHexString(),
    leadId: lead._id.toHexString(),
  });
  await replyHtml(
    ctx,
    html`Took ${who} out of "${sequence.name}"; the steps not yet sent are cancelled.`,
  );
}

async function findBoth(
  kit: AdminKit,
  leads: LeadService,
  ctx: Context,
  phone: string,
  name: string,
) {
  const service: SequencePort | undefined = kit.sequences;
  if (!service) return void (await notAvailable(ctx));
  const lead = await leads.find(phone);
  if (!lead.ok) return void (await replyHtml(ctx, html`${sentence(lead.reason)}`));
  const sequence = await sequenceOrSay(kit, ctx, name);
  if (!sequence) return undefined;
  return { lead: lead.lead, sequence, service };
}
