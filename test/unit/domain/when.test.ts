import { describe, expect, it } from 'vitest';
import {
  estimateSendSeconds,
  formatDuration,
  parseDelays,
  parseDurationSeconds,
  parseWhen,
} from '../../../src/domain/when.js';

const NOW = new Date('2026-12-04T15:00:00Z'); // 16:00 in Madrid
const MADRID = 'Europe/Madrid';
const DEFAULTS = { minDelaySeconds: 20, maxDelaySeconds: 60 };
const LIMITS = { hourlyCap: 60, dailyCap: 400 };

function when(input: string, zone = MADRID, now = NOW): Date {
  const result = parseWhen(input, now, zone);
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

function whenReason(input: string, zone = MADRID): string {
  const result = parseWhen(input, NOW, zone);
  if (result.ok) throw new Error(`expected "${input}" to be refused`);
  return result.reason;
}

describe('parseWhen', () => {
  it('reads now as the current moment', () => {
    expect(when('now')).toEqual(NOW);
    expect(when('  NOW ')).toEqual(NOW);
  });

  it('reads a date and time in the admin time zone', () => {
    expect(when('2026-12-05 10:00')).toEqual(new Date('2026-12-05T09:00:00Z'));
    expect(when('2026-12-05 10:00', 'America/New_York')).toEqual(new Date('2026-12-05T15:00:00Z'));
  });

  it('reads relative times', () => {
    expect(when('in 2h')).toEqual(new Date(NOW.getTime() + 2 * 3600_000));
    expect(when('in 30m')).toEqual(new Date(NOW.getTime() + 30 * 60_000));
    expect(when('in 1h30m')).toEqual(new Date(NOW.getTime() + 90 * 60_000));
    expect(when('in 45 minutes')).toEqual(new Date(NOW.getTime() + 45 * 60_000));
  });

  it('reads today and tomorrow with a time of day', () => {
    expect(when('today 18:00')).toEqual(new Date('2026-12-04T17:00:00Z'));
    expect(when('tomorrow 09:30')).toEqual(new Date('2026-12-05T08:30:00Z'));
  });

  it('keeps the wall-clock hour across a daylight-saving change', () => {
    const beforeChange = new Date('2026-03-28T12:00:00Z'); // Saturday; clocks go forward on Sunday
    expect(when('tomorrow 10:00', MADRID, beforeChange)).toEqual(new Date('2026-03-29T08:00:00Z'));
  });

  it('refuses a time that has passed and says what time it is', () => {
    expect(whenReason('2026-12-04 10:00')).toContain(
      'that time has passed (it is 2026-12-04 16:00',
    );
  });

  it('refuses dates that are not in the calendar', () => {
    expect(whenReason('2027-02-30 10:00')).toContain('2027-02-30 is not a date in the calendar');
  });

  it('refuses a time of day past 23:59', () => {
    expect(whenReason('tomorrow 25:00')).toContain('25:00 is not a time of day');
  });

  it('refuses what it cannot read and lists the forms it accepts', () => {
    expect(whenReason('next friday')).toMatch(
      /not a time I understand: write now, a date and time/,
    );
  });

  it('refuses more than a year ahead', () => {
    expect(whenReason('2028-12-05 10:00')).toContain('more than 366 days ahead');
  });
});

describe('parseDurationSeconds', () => {
  it('reads combined units', () => {
    expect(parseDurationSeconds('1h30m')).toBe(5400);
    expect(parseDurationSeconds('2 days')).toBe(172_800);
    expect(parseDurationSeconds('90s')).toBe(90);
  });

  it('returns null for anything else', () => {
    expect(parseDurationSeconds('soon')).toBeNull();
    expect(parseDurationSeconds('2 fortnights')).toBeNull();
    expect(parseDurationSeconds('0m')).toBeNull();
  });
});

describe('parseDelays', () => {
  it('reads a range of seconds', () => {
    expect(parseDelays('10-30', DEFAULTS, 5)).toEqual({
      ok: true,
      value: { minDelaySeconds: 10, maxDelaySeconds: 30 },
    });
    expect(parseDelays('10 - 30s', DEFAULTS, 5)).toMatchObject({ ok: true });
  });

  it('reads minutes, a fixed gap and the defaults', () => {
    expect(parseDelays('1-2m', DEFAULTS, 5)).toMatchObject({
      value: { minDelaySeconds: 60, maxDelaySeconds: 120 },
    });
    expect(parseDelays('20', DEFAULTS, 5)).toMatchObject({
      value: { minDelaySeconds: 20, maxDelaySeconds: 20 },
    });
    expect(parseDelays('default', DEFAULTS, 5)).toEqual({ ok: true, value: DEFAULTS });
  });

  it('refuses a range below the floor, naming the floor', () => {
    expect(parseDelays('1-3', DEFAULTS, 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('shortest gap allowed is 5 seconds'),
    });
  });

  it('refuses a reversed range and a gap over an hour', () => {
    expect(parseDelays('30-10', DEFAULTS, 5)).toMatchObject({ ok: false });
    expect(parseDelays('10-7200', DEFAULTS, 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('one hour'),
    });
  });

  it('refuses words and explains the form', () => {
    expect(parseDelays('fast', DEFAULTS, 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('like 10-30'),
    });
  });
});

describe('estimateSendSeconds', () => {
  it('multiplies the average gap by the gaps between messages', () => {
    expect(estimateSendSeconds(11, { minDelaySeconds: 10, maxDelaySeconds: 30 }, LIMITS)).toBe(600);
  });

  it('slows to the hourly cap when it is tighter than the gap', () => {
    const slow = estimateSendSeconds(
      11,
      { minDelaySeconds: 5, maxDelaySeconds: 5 },
      { hourlyCap: 10, dailyCap: 400 },
    );
    expect(slow).toBe(3600);
  });

  it('adds a day per further day of the daily cap', () => {
    const seconds = estimateSendSeconds(
      25,
      { minDelaySeconds: 10, maxDelaySeconds: 10 },
      { hourlyCap: 60, dailyCap: 10 },
    );
    expect(seconds).toBe(2 * 86_400 + 4 * 60);
  });

  it('is zero for nobody', () => {
    expect(estimateSendSeconds(0, DEFAULTS, LIMITS)).toBe(0);
  });
});

describe('formatDuration', () => {
  it('picks the largest sensible units', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(3600 + 300)).toBe('1 h 5 min');
    expect(formatDuration(2 * 86_400 + 4 * 3600)).toBe('2 d 4 h');
  });
});
