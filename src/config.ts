import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isValidTimeZone } from './domain/time.js';
import { isSupportedCountry, type CountryCode } from './domain/phone.js';
import { parseSendWindow, type SendWindow } from './domain/send-window.js';

/** Settings whose values are never printed back, even when they are invalid. */
const SECRET_KEYS = new Set(['TELEGRAM_BOT_TOKEN', 'WEBHOOK_SECRET', 'MONGODB_URI']);

const int = (min: number, fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: `a whole number from ${min}` })
    .int(`a whole number from ${min}`)
    .min(min, `a whole number from ${min}`)
    .max(max, `a whole number from ${min} to ${max}`)
    .default(fallback);

const port = (fallback: number) => int(0, fallback, 65_535);

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `one of ${values.join(', ')}` });

const commaList = z
  .string()
  .default('')
  .transform((raw) =>
    raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const schema = z
  .object({
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// or mongodb+srv:// address')
      .optional(),
    TELEGRAM_BOT_TOKEN: z.string({ error: 'required: the token @BotFather gave you' }).min(1),
    ADMIN_TELEGRAM_IDS: z
      .string({ error: 'required: comma-separated numeric Telegram user ids, e.g. 12345,67890' })
      .transform((raw, ctx) => {
        const parts = raw.split(',').map((part) => part.trim());
        if (parts.some((part) => !/^\d{1,15}$/.test(part))) {
          ctx.addIssue({
            code: 'custom',
            message: 'comma-separated numeric Telegram user ids, e.g. 12345,67890',
          });
          return z.NEVER;
        }
        return parts.map(Number);
      }),
    ADMIN_TIMEZONE: z
      .string()
      .default('UTC')
      .refine(isValidTimeZone, 'an IANA time zone name, e.g. Europe/Madrid or America/New_York'),
    TELEGRAM_API_ROOT: z
      .url({ error: 'an http(s) URL such as http://127.0.0.1:8081' })
      .transform((url) => url.replace(/\/+$/, ''))
      .optional(),
    WEBHOOK_URL: z
      .url({ error: 'the public https URL Telegram should post updates to' })
      .optional(),
    WEBHOOK_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, '16 to 256 characters of A-Z, a-z, 0-9, _ and -')
      .optional(),
    WA_TRANSPORT: oneOf(['whatsapp-web', 'simulated']).default('whatsapp-web'),
    WA_SESSION_DIR: z.string().optional(),
    WA_CLIENT_ID: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('default'),
    CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
    SIMULATED_OUTBOX: z.string().optional(),
    SIMULATED_PORT: port(8081),
    DEFAULT_COUNTRY: z
      .string()
      .transform((code) => code.trim().toUpperCase())
      .refine(isSupportedCountry, 'a two-letter country code such as US, GB, ES or IN')
      .optional(),
    SEND_WINDOW: z
      .string()
      .default('09:00-20:00')
      .transform((raw, ctx) => {
        const window = parseSendWindow(raw);
        if (!window) {
          ctx.addIssue({
            code: 'custom',
            message: 'HH:MM-HH:MM with the start before the end, e.g. 09:00-20:00',
          });
          return z.NEVER;
        }
        return window;
      }),
    HOURLY_CAP: int(1, 60),
    DAILY_CAP: int(1, 400),
    DEFAULT_MIN_DELAY_SECONDS: int(0, 20),
    DEFAULT_MAX_DELAY_SECONDS: int(0, 60),
    MIN_DELAY_FLOOR_SECONDS: z.coerce
      .number({ error: 'a number of seconds from 0' })
      .min(0, 'a number of seconds from 0')
      .default(5),
    SEND_TIMEOUT_MS: int(100, 60_000),
    MAX_SEND_ATTEMPTS: int(1, 3),
    FAILURE_PAUSE_THRESHOLD: int(1, 5),
    STOP_WORDS: commaList.default(['STOP', 'UNSUBSCRIBE', 'STOP ALL', 'OPT OUT', 'CANCEL']),
    HOT_KEYWORDS: commaList.default(['price', 'buy', 'order', 'interested']),
    FORWARD_REPLIES: z.stringbool({ error: 'on or off (also true/false, yes/no)' }).default(false),
    LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(
      'info',
    ),
    HTTP_HOST: z.string().default('127.0.0.1'),
    HTTP_PORT: port(8080),
    DATA_DIR: z.string().default('./data'),
  })
  .refine((c) => c.DEFAULT_MIN_DELAY_SECONDS <= c.DEFAULT_MAX_DELAY_SECONDS, {
    path: ['DEFAULT_MAX_DELAY_SECONDS'],
    message: 'at least DEFAULT_MIN_DELAY_SECONDS',
    when: (payload) =>
      fieldsParsed(payload, ['DEFAULT_MIN_DELAY_SECONDS', 'DEFAULT_MAX_DELAY_SECONDS']),
  })
  .refine((c) => c.DEFAULT_MIN_DELAY_SECONDS >= c.MIN_DELAY_FLOOR_SECONDS, {
    path: ['DEFAULT_MIN_DELAY_SECONDS'],
    message: 'at least MIN_DELAY_FLOOR_SECONDS',
    when: (payload) =>
      fieldsParsed(payload, ['DEFAULT_MIN_DELAY_SECONDS', 'MIN_DELAY_FLOOR_SECONDS']),
  })
  .refine((c) => !c.WEBHOOK_URL || c.WEBHOOK_SECRET, {
    path: ['WEBHOOK_SECRET'],
    message: 'required when WEBHOOK_URL is set',
    when: (payload) => fieldsParsed(payload, ['WEBHOOK_URL', 'WEBHOOK_SECRET']),
  });

/**
 * True when none of `keys` has an issue of its own, so a check across them can run
 * (and be listed) even while other settings are wrong.
 */
function fieldsParsed(
  payload: { issues: readonly { path?: readonly PropertyKey[] }[] },
  keys: string[],
): boolean {
  return !payload.issues.some((issue) => keys.includes(String(issue.path?.[0])));
}

type Raw = z.output<typeof schema>;

/** The whole validated configuration; the rest of the code never reads process.env. */
export type Config = Omit<
  Raw,
  'DEFAULT_COUNTRY' | 'SEND_WINDOW' | 'WA_SESSION_DIR' | 'SIMULATED_OUTBOX'
> & {
  DEFAULT_COUNTRY: CountryCode | undefined;
  SEND_WINDOW: SendWindow;
  /** Default: `DATA_DIR/wa-session`. */
  WA_SESSION_DIR: string;
  /** Default: `DATA_DIR/outbox.jsonl`. */
  SIMULATED_OUTBOX: string;
};

/** Raised with every bad setting listed; `message` is safe to print (no secret values). */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      'Cadence cannot start: fix these settings (environment or .env file):\n' +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Validates `env` and returns the configuration, or throws a ConfigError that lists
 * every missing or invalid setting with what it expects. Empty strings count as unset.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const result = schema.safeParse(cleaned);
  if (result.success) {
    const data = result.data;
    return {
      ...data,
      WA_SESSION_DIR: data.WA_SESSION_DIR ?? join(data.DATA_DIR, 'wa-session'),
      SIMULATED_OUTBOX: data.SIMULATED_OUTBOX ?? join(data.DATA_DIR, 'outbox.jsonl'),
    } as Config;
  }

  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? 'configuration');
    const shown = key in cleaned && !SECRET_KEYS.has(key) ? ` (got "${cleaned[key]}")` : '';
    const missing = !(key in cleaned) && issue.code === 'invalid_type';
    const expected = missing
      ? issue.message.replace(/^Invalid input.*$/, 'required')
      : issue.message;
    return `${key}${shown}: ${expected}`;
  });
  throw new ConfigError(problems);
}

/**
 * Reads `.env` from the working directory when present (values already in the
 * environment win), then validates. On a bad configuration prints the listing and
 * exits with status 2.
 */
export function loadConfigOrExit(envFile = '.env'): Config {
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}
