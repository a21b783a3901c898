import { z } from 'zod';
import { validateTemplate } from './template.js';

/** Limits that come from configuration. */
export interface CampaignRules {
  /** The shortest gap allowed between two messages, in seconds (MIN_DELAY_FLOOR_SECONDS). */
  minDelayFloorSeconds: number;
}

const MAX_DELAY_SECONDS = 3600;

const isImageRef = (value: string) => /^https?:\/\/\S+$/i.test(value) || value.startsWith('/');

/**
 * The zod schema of a new campaign: title 1 to 100 characters, message 1 to 4096
 * characters and a valid template, image as an http(s) URL or an absolute file path,
 * target status prospect, customer or all (optional tags), delays in seconds with
 * min <= max and min at least the configured floor, scheduledAt a Date (a past time
 * means "start now"). Every message says what to write instead.
 */
export function newCampaignSchema(rules: CampaignRules) {
  const floor = rules.minDelayFloorSeconds;
  return z
    .object({
      title: z
        .string({ error: 'write a title' })
        .trim()
        .min(1, 'write a title')
        .max(100, 'shorten the title to 100 characters or fewer'),
      message: z
        .string({ error: 'write the message' })
        .min(1, 'write the message')
        .max(4096, 'shorten the message to 4096 characters or fewer (WhatsApp limit)')
        .superRefine((message, ctx) => {
          for (const problem of validateTemplate(message)) {
            ctx.addIssue({ code: 'custom', message: problem });
          }
        }),
      imageUrl: z
        .string()
        .trim()
        .refine(
          isImageRef,
          'give the image as an http(s) URL or an absolute file path such as /data/sale.jpg',
        )
        .optional(),
      target: z.object(
        {
          status: z.enum(['prospect', 'customer', 'all'], {
            error: 'choose prospect, customer or all',
          }),
          tags: z.array(z.string().trim().min(1, 'tags cannot be empty')).optional(),
        },
        { error: 'choose who gets it: prospect, customer or all' },
      ),
      minDelaySeconds: z
        .number({ error: 'give the shortest gap in seconds' })
        .min(
          floor,
          `wait at least ${floor} seconds between messages (shorter gaps get accounts banned)`,
        )
        .max(MAX_DELAY_SECONDS, `keep the gap under ${MAX_DELAY_SECONDS} seconds`),
      maxDelaySeconds: z
        .number({ error: 'give the longest gap in seconds' })
        .max(MAX_DELAY_SECONDS, `keep the gap under ${MAX_DELAY_SECONDS} seconds`),
      scheduledAt: z.date({ error: 'give the start as a date and time' }),
      createdBy: z.number().int().optional(),
    })
    .refine((c) => c.maxDelaySeconds >= c.minDelaySeconds, {
      path: ['maxDelaySeconds'],
      message: 'make the longest gap at least the shortest gap',
    });
}

/** A new campaign as validated by {@link newCampaignSchema}. */
export type NewCampaign = z.output<ReturnType<typeof newCampaignSchema>>;

/** The outcome of {@link parseNewCampaign}. */
export type CampaignParseResult =
  { ok: true; campaign: NewCampaign } | { ok: false; problems: string[] };

/**
 * Validates a new campaign. On failure lists every problem as `field: what to fix`,
 * e.g. `minDelaySeconds: wait at least 5 seconds between messages (...)`.
 */
export function parseNewCampaign(input: unknown, rules: CampaignRules): CampaignParseResult {
  const result = newCampaignSchema(rules).safeParse(input);
  if (result.success) return { ok: true, campaign: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const field = issue.path.join('.') || 'campaign';
      return `${field}: ${issue.message}`;
    }),
  };
}
