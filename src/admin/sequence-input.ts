import { parseTimeOfDay } from '../domain/send-window.js';
import type { Parsed } from '../domain/when.js';

/** When a step goes, as an admin types it. */
export interface StepWhen {
  dayNumber: number;
  /** HH:MM in the lead's time zone; absent: at the time of day the lead enrolled. */
  sendTime?: string;
}

/**
 * Reads a step's day and optional time: `1`, `day 3`, `3 10:00`, `day 7 at 18:30`.
 * Day 1 is the day the lead enrolls.
 */
export function parseStepWhen(text: string): Parsed<StepWhen> {
  const match = /^(?:day\s*)?(\d{1,4})(?:\s+(?:at\s+)?(\d{1,2}:\d{2}))?$/i.exec(text.trim());
  if (!match) {
    return {
      ok: false,
      reason: `"${text.trim()}" is not a step day: write the day number, optionally with a time, like 1, 3 10:00 or day 7 at 18:30`,
    };
  }
  const dayNumber = Number(match[1]);
  if (dayNumber < 1)
    return { ok: false, reason: 'day 1 is the day the lead enrolls; use 1 or more' };
  if (!match[2]) return { ok: true, value: { dayNumber } };

  const minutes = parseTimeOfDay(match[2]);
  if (minutes === null)
    return { ok: false, reason: `${match[2]} is not a time of day; use 00:00 to 23:59` };
  const pad = (n: number) => String(n).padStart(2, '0');
  const sendTime = `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  return { ok: true, value: { dayNumber, sendTime } };
}

/** Reads trigger keywords: comma-separated words or phrases, trimmed, duplicates dropped. */
export function parseKeywords(text: string): Parsed<string[]> {
  const keywords = [
    ...new Set(
      text
        .split(',')
        .map((k) => k.trim())
        .filter(Boolean),
    ),
  ];
  if (!keywords.length)
    return { ok: false, reason: 'write at least one keyword, or press No trigger' };
  const tooLong = keywords.find((k) => k.length > 60);
  if (tooLong)
    return {
      ok: false,
      reason: `"${tooLong.slice(0, 20)}…" is too long for a keyword (60 characters at most)`,
    };
  return { ok: true, value: keywords };
}

/**
 * Splits `<phone> <sequence>` (or `<phone> | <sequence>`): the phone is the leading
 * words made of digits, spaces, `+`, `(`, `)`, `-` and `.`; the rest names the sequence.
 */
export function splitPhoneAndName(line: string): Parsed<[string, string]> {
  const piped = line.split('|').map((part) => part.trim());
  if (piped.length === 2 && piped[0] && piped[1]) return { ok: true, value: [piped[0], piped[1]] };

  const words = line.trim().split(/\s+/);
  const firstName = words.findIndex((word, i) => i > 0 && /[^\d+().-]/.test(word));
  if (firstName < 0)
    return { ok: false, reason: 'give the phone number and then the sequence name' };
  return {
    ok: true,
    value: [words.slice(0, firstName).join(' '), words.slice(firstName).join(' ')],
  };
}

/** Splits `<sequence> <step number>`: the last word is the number. */
export function splitNameAndNumber(line: string): Parsed<[string, number]> {
  const match = /^(.+?)\s*\|?\s*(\d{1,3})$/.exec(line.trim());
  if (!match)
    return { ok: false, reason: 'give the sequence name and then the step number, like Welcome 2' };
  return { ok: true, value: [match[1]!.trim(), Number(match[2])] };
}
