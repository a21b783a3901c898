import { z } from 'zod';
import { isMatchableKeyword } from './keywords.js';
import { parseTimeOfDay } from './send-window.js';
import { TEMPERATURES, type Temperature } from './status.js';
import { validateTemplate } from './template.js';

const MAX_NAME_LENGTH = 60;
// WhatsApp refuses text messages longer than 65,536 characters; stay well under.
const MAX_CONTENT_LENGTH = 4096;

const temperature = z.enum(TEMPERATURES, {
  error: `a temperature: ${TEMPERATURES.join(', ')}`,
});

const stepSchema = z.object({
  dayNumber: z
    .number({ error: 'dayNumber: a whole number of days, 1 for the day of enrollment' })
    .int('dayNumber: a whole number, e.g. 1, 3 or 7')
    .min(1, 'dayNumber: 1 or more (day 1 is the day the lead enrolls)'),
  sendTime: z
    .string()
    .refine((raw) => /^\d{2}:\d{2}$/.test(raw) && parseTimeOfDay(raw) !== null, {
      message: 'sendTime: a time of day as HH:MM, from 00:00 to 23:59, e.g. 10:00',
    })
    .optional(),
  content: z
    .string({ error: 'content: the text of the message' })
    .trim()
    .min(1, 'content: write the text of the message')
    .max(MAX_CONTENT_LENGTH, `content: at most ${MAX_CONTENT_LENGTH} characters`)
    .superRefine((content, ctx) => {
      for (const problem of validateTemplate(content)) {
        ctx.addIssue({ code: 'custom', message: `content: ${problem}` });
      }
    }),
  mediaUrl: z
    .url({ protocol: /^https?$/, error: 'mediaUrl: an http(s) address of an image' })
    .optional(),
  condition: z
    .object({
      temperatureIn: z
        .array(temperature)
        .min(1, 'condition: name at least one temperature')
        .optional(),
      noReplySinceEnrollment: z.boolean().optional(),
    })
    .optional(),
  setTemperature: temperature.optional(),
});

const sequenceSchema = z
  .object({
    name: z
      .string({ error: 'name: give the sequence a name' })
      .trim()
      .min(1, 'name: give the sequence a name')
      .max(MAX_NAME_LENGTH, `name: at most ${MAX_NAME_LENGTH} characters`),
    description: z.string().trim().optional(),
    trigger: z
      .object({
        keywords: z
          .array(
            z
              .string()
              .trim()
              .refine(isMatchableKeyword, 'trigger: each keyword needs a letter or digit'),
          )
          .default([]),
        match: z
          .enum(['exact', 'contains'], { error: 'trigger match: exact or contains' })
          .default('contains'),
      })
      .default({ keywords: [], match: 'contains' }),
    active: z.boolean().default(true),
    stopOnReply: z.boolean().default(false),
    allowReentry: z.boolean().default(false),
    steps: z
      .array(stepSchema, { error: 'steps: a list of steps' })
      .min(1, 'steps: add at least one step'),
  })
  .superRefine((sequence, ctx) => {
    sequence.steps.forEach((step, i) => {
      const previous = sequence.steps[i - 1];
      if (previous && step.dayNumber <= previous.dayNumber) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', i, 'dayNumber'],
          message:
            `dayNumber: day ${step.dayNumber} must come after day ${previous.dayNumber} of ` +
            'the step before; list the steps in order of day, one step per day',
        });
      }
    });
  });

/** A valid sequence as admins define it, defaults filled in, before it is stored. */
export type SequenceDraft = z.output<typeof sequenceSchema>;

/** One valid step of a {@link SequenceDraft}. */
export type StepDraft = SequenceDraft['steps'][number];

/** The outcome of {@link validateSequence}. */
export type SequenceValidation =
  { ok: true; sequence: SequenceDraft; totalDays: number } | { ok: false; problems: string[] };

/**
 * Checks a sequence definition: a name, at least one step, day numbers of 1 or more
 * in increasing order, content in every step (a valid template), times as HH:MM. On
 * failure lists every problem, each naming the step (`step 2: ...`) and what to write
 * instead.
 */
export function validateSequence(input: unknown): SequenceValidation {
  const result = sequenceSchema.safeParse(input);
  if (!result.success) {
    return { ok: false, problems: result.error.issues.map(describeIssue) };
  }
  return { ok: true, sequence: result.data, totalDays: totalDays(result.data.steps) };
}

/** Checks one step on its own, e.g. while an admin adds steps one at a time. */
export function validateStep(
  input: unknown,
): { ok: true; step: StepDraft } | { ok: false; problems: string[] } {
  const result = stepSchema.safeParse(input);
  if (result.success) return { ok: true, step: result.data };
  return { ok: false, problems: result.error.issues.map((issue) => issue.message) };
}

/** How many days a sequence lasts: the last step's day number (0 without steps). */
export function totalDays(steps: readonly { dayNumber: number }[]): number {
  return steps.reduce((max, step) => Math.max(max, step.dayNumber), 0);
}

/** When a step goes only to some leads; both parts must hold when both are given. */
export interface StepConditionRule {
  temperatureIn?: readonly Temperature[];
  noReplySinceEnrollment?: boolean;
}

/** What a step condition is checked against, at the moment the step is due. */
export interface LeadFacts {
  temperature: Temperature;
  repliedSinceEnrollment: boolean;
}

/** Whether a step should go to a lead; a step with no condition always goes. */
export function conditionHolds(condition: StepConditionRule | undefined, lead: LeadFacts): boolean {
  if (!condition) return true;
  if (condition.temperatureIn?.length && !condition.temperatureIn.includes(lead.temperature)) {
    return false;
  }
  return !(condition.noReplySinceEnrollment && lead.repliedSinceEnrollment);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const [first, index] = issue.path;
  const where = first === 'steps' && typeof index === 'number' ? `step ${index + 1}: ` : '';
  return `${where}${issue.message}`;
}
