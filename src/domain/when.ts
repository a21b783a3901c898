import { DateTime } from 'luxon';

/** A parsed answer, or the sentence that tells the admin what to write instead. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** How far ahead a campaign may be scheduled, in days. */
export const MAX_SCHEDULE_DAYS = 366;

/** Longest gap between two messages an admin may ask for, in seconds (one hour). */
export const MAX_DELAY_SECONDS = 3600;

const WHEN_FORMS =
  'write now, a date and time like 2026-12-05 10:00, in 2h, in 30m, today 18:00 or tomorrow 09:30';

const UNIT_SECONDS: Record<string, number> = {
  d: 86_400,
  day: 86_400,
  days: 86_400,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
};

/**
 * Reads when something should happen, as an admin types it, in `timeZone`:
 * `now`, `2026-12-05 10:00`, `in 2h`, `in 1h30m`, `in 45 minutes`, `today 18:00`,
 * `tomorrow 09:30`. A wall-clock time that a daylight-saving change skips moves
 * forward, as the clock does. Refuses times in the past (one minute of grace) and
 * more than {@link MAX_SCHEDULE_DAYS} ahead.
 */
export function parseWhen(input: string, now: Date, timeZone: string): Parsed<Date> {
  const text = input.trim().toLowerCase().replace(/\s+/g, ' ');
  const parsed = readWhen(text, now, timeZone);
  if (!parsed)
    return { ok: false, reason: `"${input.trim()}" is not a time I understand: ${WHEN_FORMS}` };
  if ('reason' in parsed) return { ok: false, reason: parsed.reason };

  const at = parsed.at;
  if (at.getTime() < now.getTime() - 60_000) {
    const shown = DateTime.fromJSDate(now, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm');
    return {
      ok: false,
      reason: `that time has passed (it is ${shown} now in ${timeZone}); give a later one or now`,
    };
  }
  if (at.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * 86_400_000) {
    return {
      ok: false,
      reason: `that is more than ${MAX_SCHEDULE_DAYS} days ahead; give an earlier time`,
    };
  }
  return { ok: true, value: at };
}

type Reading = { at: Date } | { reason: string } | null;

function readWhen(text: string, now: Date, timeZone: string): Reading {
  if (text === 'now') return { at: now };

  const relative = /^in (.+)$/.exec(text);
  if (relative) {
    const seconds = parseDurationSeconds(relative[1]!);
    return seconds === null ? null : { at: new Date(now.getTime() + seconds * 1000) };
  }

  const dayAndTime = /^(today|tomorrow) (\d{1,2}):(\d{2})$/.exec(text);
  if (dayAndTime) {
    const day = DateTime.fromJSDate(now, { zone: timeZone }).plus({
      days: dayAndTime[1] === 'tomorrow' ? 1 : 0,
    });
    return atLocalTime(day.year, day.month, day.day, dayAndTime[2]!, dayAndTime[3]!, timeZone);
  }

  const absolute = /^(\d{4})-(\d{1,2})-(\d{1,2})(?: |t)(\d{1,2}):(\d{2})$/.exec(text);
  if (absolute) {
    const [, y, mo, d, h, mi] = absolute as unknown as string[];
    return atLocalTime(Number(y), Number(mo), Number(d), h!, mi!, timeZone);
  }
  return null;
}

function atLocalTime(
  year: number,
  month: number,
  day: number,
  hours: string,
  minutes: string,
  timeZone: string,
): Reading {
  const [h, m] = [Number(hours), Number(minutes)];
  if (h > 23 || m > 59)
    return { reason: `${hours}:${minutes} is not a time of day; use 00:00 to 23:59` };
  const local = DateTime.fromObject({ year, month, day, hour: h, minute: m }, { zone: timeZone });
  if (!local.isValid) {
    const date = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    return { reason: `${date} is not a date in the calendar; write it as YYYY-MM-DD HH:MM` };
  }
  return { at: local.toJSDate() };
}

/**
 * Reads a duration such as `2h`, `1h30m`, `45 minutes`, `2 days`, `90s`; null when it
 * is not one. Seconds are accepted with `s`, `sec`, `secs`, `second(s)`.
 */
export function parseDurationSeconds(input: string): number | null {
  const text = input.trim().toLowerCase();
  if (!/^(\d+(?:\.\d+)?\s*[a-z]+\s*)+$/.test(text)) return null;

  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)) {
    const seconds = UNIT_SECONDS[unit!];
    if (seconds === undefined) return null;
    total += Number(amount) * seconds;
  }
  return total > 0 ? Math.round(total) : null;
}

/** The gap between two messages, in whole seconds. */
export interface Delays {
  minDelaySeconds: number;
  maxDelaySeconds: number;
}

/**
 * Reads the gap between messages as an admin types it: `10-30` (seconds, a random
 * gap in that range), `10-30s`, `1-2m`, a single value `20` for a fixed gap, or
 * `default` for `defaults`. The lower bound may not go under `floorSeconds` (a gap
 * that short gets WhatsApp accounts banned) and the upper not over one hour.
 */
export function parseDelays(input: string, defaults: Delays, floorSeconds: number): Parsed<Delays> {
  const text = input.trim().toLowerCase();
  if (text === 'default' || text === 'defaults') return { ok: true, value: defaults };

  const match =
    /^(\d+)\s*(?:-|to|–)\s*(\d+)\s*(s|sec|secs|seconds|m|min|mins|minutes)?$/.exec(text) ??
    /^(\d+)()\s*(s|sec|secs|seconds|m|min|mins|minutes)?$/.exec(text);
  if (!match) {
    return {
      ok: false,
      reason: `"${input.trim()}" is not a delay: write two numbers of seconds like 10-30, one like 20, or default`,
    };
  }
  const unit = match[3]?.startsWith('m') ? 60 : 1;
  const min = Number(match[1]) * unit;
  const max = (match[2] ? Number(match[2]) : Number(match[1])) * unit;
  return checkDelays({ minDelaySeconds: min, maxDelaySeconds: max }, floorSeconds);
}

/** Checks a gap range against the floor and the one-hour ceiling. */
export function checkDelays(delays: Delays, floorSeconds: number): Parsed<Delays> {
  const { minDelaySeconds: min, maxDelaySeconds: max } = delays;
  if (min > max)
    return {
      ok: false,
      reason: `the first number (${min}) must not be larger than the second (${max})`,
    };
  if (min < floorSeconds) {
    return {
      ok: false,
      reason: `the shortest gap allowed is ${floorSeconds} seconds; shorter gaps get accounts banned`,
    };
  }
  if (max > MAX_DELAY_SECONDS) {
    return {
      ok: false,
      reason: `the longest gap allowed is ${MAX_DELAY_SECONDS} seconds (one hour)`,
    };
  }
  return { ok: true, value: delays };
}

/** Sending limits that shape how long a campaign takes. */
export interface SendingLimits {
  hourlyCap: number;
  dailyCap: number;
}

/**
 * Roughly how long `recipients` messages take at an average gap of (min + max) / 2,
 * slowed to the hourly cap when that is tighter, plus a day for each further day's
 * worth of the daily cap. Ignores the send window and other traffic: an estimate.
 */
export function estimateSendSeconds(
  recipients: number,
  delays: Delays,
  limits: SendingLimits,
): number {
  if (recipients <= 0) return 0;
  const averageGap = (delays.minDelaySeconds + delays.maxDelaySeconds) / 2;
  const gap = Math.max(averageGap, 3600 / limits.hourlyCap);
  const extraDays = Math.ceil(recipients / limits.dailyCap) - 1;
  const lastDay = recipients - extraDays * limits.dailyCap;
  return Math.round(extraDays * 86_400 + (lastDay - 1) * gap);
}

/** A duration for people: `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) {
    const minutes = Math.round((s % 3600) / 60);
    return minutes ? `${Math.floor(s / 3600)} h ${minutes} min` : `${Math.floor(s / 3600)} h`;
  }
  const hours = Math.round((s % 86_400) / 3600);
  return hours ? `${Math.floor(s / 86_400)} d ${hours} h` : `${Math.floor(s / 86_400)} d`;
}
