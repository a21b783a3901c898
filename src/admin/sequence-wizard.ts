import type { Context } from 'grammy';
import { validateStep } from '../domain/sequence.js';
import type { Parsed } from '../domain/when.js';
import type { Sequence } from '../store/index.js';
import { splitFields } from './campaign-input.js';
import { replyHtml, type AdminConversation, type AdminKit } from './context.js';
import { Form, textAnswer } from './form.js';
import { html, joinHtml, type Html } from './html.js';
import { parseKeywords, parseStepWhen, type StepWhen } from './sequence-input.js';
import { SequenceSteps, type StepChange, type StepInput } from './sequence-steps.js';

/** Longest sequence name (what the sequence rules accept). */
export const MAX_SEQUENCE_NAME = 60;

/** Most steps the wizard adds in one go; more with /step_add. */
export const MAX_WIZARD_STEPS = 10;

/**
 * Finds a sequence by id, by exact name, or by name in any case. Null when none
 * matches.
 */
export async function findSequence(kit: AdminKit, text: string): Promise<Sequence | null> {
  const wanted = text.trim();
  if (/^[0-9a-f]{24}$/i.test(wanted)) return kit.store.sequences.findById(wanted);
  const exact = await kit.store.sequences.findByName(wanted);
  if (exact) return exact;
  const all = await kit.store.sequences.list(0, 500);
  return all.find((s) => s.name.toLowerCase() === wanted.toLowerCase()) ?? null;
}

/** How a step reads in lists: `day 3 at 10:00`, or `day 1, at enrollment time`. */
export function describeStepWhen(step: StepWhen): string {
  return step.sendTime
    ? `day ${step.dayNumber} at ${step.sendTime}`
    : `day ${step.dayNumber}, at enrollment time`;
}

/** Checks a step's text with the sequence rules (length, template). */
export function checkStepContent(text: string): Parsed<string> {
  const result = validateStep({ dayNumber: 1, content: text });
  if (result.ok) return { ok: true, value: result.step.content };
  return { ok: false, reason: result.problems.map((p) => p.replace(/^content: /, '')).join('; ') };
}

/** How {@link askStep} asks. */
interface StepQuestionOptions {
  /** The new step's day must be after this one (the previous step's, in the wizard). */
  afterDay: number;
  /** Days that already have a step. */
  takenDays: number[];
  /** Offer a "Day 1, at once" button. */
  offerDayOne: boolean;
  /** The step being changed: its day and text can be kept with a button. */
  keep?: StepInput;
}

/** Asks a step's day and optional time, then its text. */
async function askStep(form: Form, options: StepQuestionOptions): Promise<StepInput> {
  const { afterDay, takenDays, keep } = options;
  const when = await form.ask<StepWhen | null>({
    text: html`On which day does this step go? Day 1 is the day the lead enrolls. Add a time if it matters, like 3 10:00.`,
    choices: keep
      ? [{ label: `Keep: ${describeStepWhen(keep)}`, value: null }]
      : options.offerDayOne
        ? [{ label: 'Day 1, at once', value: { dayNumber: 1 } }]
        : [],
    read: textAnswer((text) => checkStepDay(text, afterDay, takenDays)),
  });
  const content = await form.ask<string | null>({
    text: html`The text of this step. {{first_name}} puts in the lead's name; {Hi|Hello} picks one word at random.`,
    choices: keep ? [{ label: 'Keep the text', value: null }] : [],
    read: textAnswer(checkStepContent),
  });
  return {
    ...(when ?? { dayNumber: keep!.dayNumber, sendTime: keep!.sendTime }),
    content: content ?? keep!.content,
  };
}

function checkStepDay(text: string, afterDay: number, takenDays: number[]): Parsed<StepWhen> {
  const parsed = parseStepWhen(text);
  if (!parsed.ok) return parsed;
  const day = parsed.value.dayNumber;
  if (day <= afterDay)
    return { ok: false, reason: `this step comes after day ${afterDay}; give a later day` };
  if (takenDays.includes(day)) {
    return {
      ok: false,
      reason: `day ${day} already has a step (one per day); /step_edit changes it`,
    };
  }
  return parsed;
}

/**
 * The /sequence_new conversation: name, trigger keywords and how they match, then
 * steps one by one (day, time, text) until the admin presses Done.
 */
export function sequenceWizard(kit: AdminKit) {
  return async function sequenceNew(conversation: AdminConversation, ctx: Context): Promise<void> {
    const form = new Form(conversation, ctx, 'sequence');
    const name = await form.ask({
      text: html`New sequence. What is its name? (leads never see it)`,
      read: textAnswer(async (text): Promise<Parsed<string>> => {
        if (!text || text.length > MAX_SEQUENCE_NAME) {
          return { ok: false, reason: `give a name of 1 to ${MAX_SEQUENCE_NAME} characters` };
        }
        const taken = await conversation.external(async () => !!(await findSequence(kit, text)));
        if (taken)
          return { ok: false, reason: `a sequence called "${text}" exists; choose another name` };
        return { ok: true, value: text };
      }),
    });
    const keywords = await form.ask<string[]>({
      text: html`Which words in a lead's message start it? Separate them with commas, like: price, info. Or press No trigger (leads join only with /enroll).`,
      choices: [{ label: 'No trigger', value: [] }],
      read: textAnswer(parseKeywords),
    });
    const match = keywords.length
      ? await form.ask<'contains' | 'exact'>({
          text: html`Start it when the message contains a keyword, or only when the message is exactly a keyword?`,
          choices: [
            { label: 'Contains', value: 'contains' },
            { label: 'Exactly', value: 'exact' },
          ],
        })
      : 'contains';

    const steps: StepInput[] = [];
    for (;;) {
      const afterDay = steps.at(-1)?.dayNumber ?? 0;
      steps.push(await askStep(form, { afterDay, takenDays: [], offerDayOne: afterDay === 0 }));
      if (steps.length >= MAX_WIZARD_STEPS) break;
      const more = await form.ask<boolean>({
        text: html`Step ${steps.length} saved in the draft. Add another step?`,
        choices: [
          { label: 'Add a step', value: true },
          { label: 'Done, save it', value: false },
        ],
      });
      if (!more) break;
    }
    await conversation.external((outer) =>
      saveSequence(kit, outer, { name, trigger: { keywords, match }, steps }),
    );
  };
}

/** Creates the sequence through the service; answers with its card or the problems. */
export async function saveSequence(
  kit: AdminKit,
  ctx: Context,
  input: {
    name: string;
    trigger: { keywords: string[]; match: 'contains' | 'exact' };
    steps: StepInput[];
  },
): Promise<void> {
  const outcome = await kit.sequences!.create(input, ctx.from!.id);
  if (!outcome.ok) {
    await replyHtml(ctx, problemsText('Not saved', outcome.problems));
    return;
  }
  await kit.audit.record(ctx.from!.id, 'sequence.created', {
    sequenceId: String(outcome.sequence._id),
    name: input.name,
  });
  await replyHtml(
    ctx,
    joinHtml([
      html`Saved. It is on: leads can join now.`,
      await sequenceCard(kit, outcome.sequence),
    ]),
  );
}

/** `/sequence_new Name | keywords | day [time] | text`: a sequence with its first step. */
export async function createSequenceFromLine(
  kit: AdminKit,
  ctx: Context,
  line: string,
): Promise<void> {
  const [name = '', keywords = '', when = '', content = ''] = splitFields(line);
  const parsedKeywords =
    keywords === '-' || !keywords ? { ok: true as const, value: [] } : parseKeywords(keywords);
  const parsedWhen = parseStepWhen(when || '1');
  const problems = [parsedKeywords, parsedWhen].flatMap((p) => (p.ok ? [] : [p.reason]));
  if (problems.length) {
    await replyHtml(
      ctx,
      problemsText(
        'Not saved',
        problems,
        '/sequence_new Name | keywords (or -) | day [time] | text',
      ),
    );
    return;
  }
  await saveSequence(kit, ctx, {
    name,
    trigger: { keywords: (parsedKeywords as { value: string[] }).value, match: 'contains' },
    steps: [{ ...(parsedWhen as { value: StepWhen }).value, content }],
  });
}

/**
 * The /step_add conversation: which sequence (unless given), then day, time and
 * text of the new step, which goes in day order.
 */
export function stepAddWizard(kit: AdminKit) {
  return async function stepAdd(
    conversation: AdminConversation,
    ctx: Context,
    sequenceId?: string,
  ): Promise<void> {
    const form = new Form(conversation, ctx, 'new step');
    const id = sequenceId ?? (await askSequence(form, conversation, kit));
    const days = await conversation.external(
      async () => (await kit.store.sequences.findById(id))?.steps.map((s) => s.dayNumber) ?? [],
    );
    const step = await askStep(form, {
      afterDay: 0,
      takenDays: days,
      offerDayOne: !days.includes(1),
    });
    await conversation.external((outer) =>
      changeSteps(kit, outer, id, 'step-added', (steps, seq) => steps.add(seq, step)),
    );
  };
}

/** The /step_edit conversation: sequence, step number, then day/time and text (each keepable). */
export function stepEditWizard(kit: AdminKit) {
  return async function stepEdit(conversation: AdminConversation, ctx: Context): Promise<void> {
    const form = new Form(conversation, ctx, 'step change');
    const id = await askSequence(form, conversation, kit);
    const steps = await conversation.external(async () =>
      ((await kit.store.sequences.findById(id))?.steps ?? []).map((s) => ({
        dayNumber: s.dayNumber,
        sendTime: s.sendTime,
        content: s.content,
      })),
    );
    const index = await form.ask<number>({
      text: joinHtml([
        html`Which step? Send its number:`,
        ...steps.map((s, i) => html`${i + 1}. ${describeStepWhen(s)}`),
      ]),
      read: textAnswer((text) => {
        const n = Number(text);
        return Number.isInteger(n) && n >= 1 && n <= steps.length
          ? { ok: true, value: n - 1 }
          : { ok: false, reason: `give a step number from 1 to ${steps.length}` };
      }),
    });
    const others = steps.filter((_, i) => i !== index).map((s) => s.dayNumber);
    const changed = await askStep(form, {
      afterDay: 0,
      takenDays: others,
      offerDayOne: false,
      keep: steps[index],
    });
    await conversation.external((outer) =>
      changeSteps(kit, outer, id, 'step-edited', (editor, seq) =>
        editor.edit(seq, index, { ...changed, sendTime: changed.sendTime }),
      ),
    );
  };
}

async function askSequence(
  form: Form,
  conversation: AdminConversation,
  kit: AdminKit,
): Promise<string> {
  return form.ask<string>({
    text: html`Which sequence? Send its name (/sequences lists them).`,
    read: textAnswer(async (text): Promise<Parsed<string>> => {
      const id = await conversation.external(
        async () => (await findSequence(kit, text))?._id.toHexString() ?? null,
      );
      return id
        ? { ok: true, value: id }
        : { ok: false, reason: `there is no sequence called "${text}"` };
    }),
  });
}

/** Applies a step change and answers with the updated card or the problems. */
export async function changeSteps(
  kit: AdminKit,
  ctx: Context,
  sequenceId: string,
  action: string,
  change: (steps: SequenceSteps, sequence: Sequence) => Promise<StepChange>,
): Promise<void> {
  const sequence = await kit.store.sequences.findById(sequenceId);
  if (!sequence) {
    await replyHtml(ctx, html`That sequence no longer exists; /sequences lists them.`);
    return;
  }
  const result = await change(new SequenceSteps(kit.store), sequence);
  if (!result.ok) {
    await replyHtml(ctx, problemsText('Not changed', result.problems));
    return;
  }
  await kit.audit.record(ctx.from!.id, `sequence.${action}`, {
    sequenceId,
    step: result.index + 1,
  });
  await replyHtml(ctx, joinHtml([html`Saved.`, await sequenceCard(kit, result.sequence)]));
}

/** A sequence's card: on or off, trigger, options, steps and enrollment counts. */
export async function sequenceCard(kit: AdminKit, sequence: Sequence): Promise<Html> {
  const counts = await kit.store.enrollments.countBy(sequence._id);
  const { keywords, match } = sequence.trigger;
  const trigger = keywords.length
    ? html`${keywords.map((k) => `“${k}”`).join(', ')} (${match === 'exact' ? 'exactly' : 'contains'})`
    : html`none: leads join only with /enroll`;
  const enrolled = ['active', 'completed', 'stopped', 'failed']
    .map((s) => `${counts[s] ?? 0} ${s}`)
    .join(', ');
  return joinHtml([
    html`<b>${sequence.name}</b> · ${sequence.active ? 'on' : 'off'}`,
    html`Trigger: ${trigger}`,
    html`Stops when the lead replies: ${sequence.stopOnReply ? 'yes' : 'no'} · re-entry: ${sequence.allowReentry ? 'allowed' : 'no'}`,
    html`Steps (${sequence.steps.length}, over ${sequence.totalDays} day(s)):`,
    ...sequence.steps.map(
      (s, i) => html`${i + 1}. ${describeStepWhen(s)}: <i>${truncateStep(s.content)}</i>`,
    ),
    html`Enrollments: ${enrolled}`,
    html`id: <code>${sequence._id.toHexString()}</code>`,
  ]);
}

function truncateStep(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= 120 ? flat : `${flat.slice(0, 119)}…`;
}

/** `Not saved:` and one bullet per problem, with the one-line form when given. */
export function problemsText(head: string, problems: string[], usage?: string): Html {
  const lines = [html`${head}. Fix these and try again:`, ...problems.map((p) => html`• ${p}`)];
  if (usage) lines.push(html`Write it as ${usage}, or send the command alone and I will ask.`);
  return joinHtml(lines);
}
