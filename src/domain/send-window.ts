import { DateTime } from 'luxon';

/** Daily hours in which messages may go out, as minutes after local midnight. */
export interface SendWindow {
  startMinute: number;
  endMinute: number;
}

/** The whole day: no restriction. */
export const ALWAYS_OPEN: SendWindow = { startMinute: 0, endMinute: 24 * 60 };

/** Parses `HH:MM-HH:MM` (end after start; `24:00` allowed as end). Null when malformed. */
export function parseSendWindow(raw: string): SendWindow | null {
  const match = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(raw);
  if (!match) return null;
  const [start, end] = [toMinutes(match[1]!, match[2]!), toMinutes(match[3]!, match[4]!)];
  if (start === null || end === null || end <= start || start >= 24 * 60) return null;
  return { startMinute: start, endMinute: end };
}

/** Parses `HH:MM` into minutes after midnight, or null. */
export function parseTimeOfDay(raw: string): number | null {
  const match = /^\s*(\d{1,2}):(\d{2})\s*$/.exec(raw);
  if (!match) return null;
  const minutes = toMinutes(match[1]!, match[2]!);
  return minutes !== null && minutes < 24 * 60 ? minutes : null;
}

function toMinutes(hours: string, minutes: string): number | null {
  const [h, m] = [Number(hours), Number(minutes)];
  if (h > 24 || m > 59 || (h === 24 && m !== 0)) return null;
  return h * 60 + m;
}

/**
 * The first moment at or after `at` that lies inside `window` in `timeZone`: `at`
 * itself when inside, else the window's next opening (today or tomorrow), computed
 * in local time so daylight-saving changes keep the wall-clock hour.
 */
export function nextOpenMoment(at: Date, window: SendWindow, timeZone: string): Date {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  const minute = local.hour * 60 + local.minute;
  if (minute >= window.startMinute && minute < window.endMinute) return at;

  const day = minute < window.startMinute ? local : local.plus({ days: 1 });
  return day
    .set({
      hour: Math.floor(window.startMinute / 60),
      minute: window.startMinute % 60,
      second: 0,
      millisecond: 0,
    })
    .toJSDate();
}

/** Formats a window back to `HH:MM-HH:MM`. */
export function formatSendWindow(window: SendWindow): string {
  const hhmm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${hhmm(window.startMinute)}-${hhmm(window.endMinute)}`;
}
