import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';

const VALID = {
  TELEGRAM_BOT_TOKEN: '123456:secret-token-value',
  ADMIN_TELEGRAM_IDS: '111, 222',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('fills every default around the required settings', () => {
    const config = parseConfig(VALID);
    expect(config).toMatchObject({
      ADMIN_TELEGRAM_IDS: [111, 222],
      ADMIN_TIMEZONE: 'UTC',
      WA_TRANSPORT: 'whatsapp-web',
      SEND_WINDOW: { startMinute: 9 * 60, endMinute: 20 * 60 },
      MIN_DELAY_FLOOR_SECONDS: 5,
      HTTP_HOST: '127.0.0.1',
    });
  });

  it('lists every bad setting at once, saying what each expects', () => {
    const problems = problemsOf({
      ADMIN_TELEGRAM_IDS: '12,abc',
      ADMIN_TIMEZONE: 'Mars/Olympus',
      SEND_WINDOW: '9-5',
      DEFAULT_COUNTRY: 'XX',
    });
    expect(problems).toEqual([
      'TELEGRAM_BOT_TOKEN: required: the token @BotFather gave you',
      'ADMIN_TELEGRAM_IDS (got "12,abc"): comma-separated numeric Telegram user ids, e.g. 12345,67890',
      'ADMIN_TIMEZONE (got "Mars/Olympus"): an IANA time zone name, e.g. Europe/Madrid or America/New_York',
      'DEFAULT_COUNTRY (got "XX"): a two-letter country code such as US, GB, ES or IN',
      'SEND_WINDOW (got "9-5"): HH:MM-HH:MM with the start before the end, e.g. 09:00-20:00',
    ]);
  });

  it('never prints a secret back', () => {
    const problems = problemsOf({ ...VALID, MONGODB_URI: 'postgres://user:hunter2@db' });
    expect(problems).toEqual(['MONGODB_URI: a mongodb:// or mongodb+srv:// address']);
  });

  it('refuses campaign delays below the floor', () => {
    expect(
      problemsOf({ ...VALID, DEFAULT_MIN_DELAY_SECONDS: '1', DEFAULT_MAX_DELAY_SECONDS: '2' }),
    ).toEqual(['DEFAULT_MIN_DELAY_SECONDS (got "1"): at least MIN_DELAY_FLOOR_SECONDS']);
  });
});

describe('the process with a bad configuration', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./src/config.ts').then((m) => m.loadConfigOrExit('/nonexistent/.env'))",
      ],
      { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20_000 },
    );

  it.each([
    ['a missing token', { ADMIN_TELEGRAM_IDS: '1' }, /TELEGRAM_BOT_TOKEN: required/],
    [
      'a malformed admin id list',
      { ...VALID, ADMIN_TELEGRAM_IDS: '1;2' },
      /ADMIN_TELEGRAM_IDS \(got "1;2"\)/,
    ],
    [
      'an unknown time zone',
      { ...VALID, ADMIN_TIMEZONE: 'Europe/Atlantis' },
      /ADMIN_TIMEZONE \(got/,
    ],
  ])('exits with status 2 and the listing for %s', (_, env, expected) => {
    const result = run(env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^Cadence cannot start: fix these settings/);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('secret-token-value');
  });
});

describe('parseConfig, settings that depend on others', () => {
  it('keeps the WhatsApp session and the simulated outbox under DATA_DIR by default', () => {
    const config = parseConfig({ ...VALID, DATA_DIR: '/srv/cadence' });
    expect(config.WA_SESSION_DIR).toBe('/srv/cadence/wa-session');
    expect(config.SIMULATED_OUTBOX).toBe('/srv/cadence/outbox.jsonl');
    expect(parseConfig({ ...VALID, WA_SESSION_DIR: '/wa' }).WA_SESSION_DIR).toBe('/wa');
  });

  it('drops a trailing slash from TELEGRAM_API_ROOT', () => {
    const config = parseConfig({ ...VALID, TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/' });
    expect(config.TELEGRAM_API_ROOT).toBe('http://127.0.0.1:8081');
  });

  it('lists a cross-setting problem together with unrelated bad settings', () => {
    expect(
      problemsOf({
        ...VALID,
        HTTP_PORT: '70000',
        LOG_LEVEL: 'verbose',
        DEFAULT_MIN_DELAY_SECONDS: '2',
      }),
    ).toEqual([
      'LOG_LEVEL (got "verbose"): one of fatal, error, warn, info, debug, trace, silent',
      'HTTP_PORT (got "70000"): a whole number from 0 to 65535',
      'DEFAULT_MIN_DELAY_SECONDS (got "2"): at least MIN_DELAY_FLOOR_SECONDS',
    ]);
  });

  it('says what a number setting expects when given words', () => {
    expect(problemsOf({ ...VALID, HOURLY_CAP: 'lots' })).toEqual([
      'HOURLY_CAP (got "lots"): a whole number from 1',
    ]);
  });
});
