import { DateTime } from 'luxon';
import { nextOpenMoment, parseTimeOfDay, type SendWindow } from './send-window.js';

/** What decides when one step of an enrollment is due. */
export interface StepTimingInput {
  /** When the lead enrolled; day 1 is this calendar day in `timeZone`. */
  enrolledAt: Date;
  /** 1 for the day of enrollment, 3 for two days later, and so on. */
  dayNumber: number;
  /** Local time of day, `HH:MM`; without it the step goes at the enrollment's time of day. */
  sendTime?: string;
  /** IANA zone the lead lives in (their own, else the admins'). */
  timeZone: string;
  /** Hours in which messages may go out, in the lead's local time. */
  window: SendWindow;
}

/**
 * When a step is due: on calendar day `dayNumber` counted from the enrollment in the
 * lead's zone, at `sendTime` or at the enrollment's time of day, never before the
 * enrollment itself (a day-1 step whose time has passed goes at once), then moved
 * forward into the send window. Days are added on the local calendar, so 10:00 stays
 * 10:00 across a daylight-saving change; a local time that does not exist that day
 * (skipped by the clocks going forward) moves forward by the gap.
 */
export function stepDueAt(input: StepTimingInput): Date {
  const enrolled = DateTime.fromJSDate(input.enrolledAt, { zone: input.timeZone });
  let due = enrolled.plus({ days: input.dayNumber - 1 });

  if (input.sendTime !== undefined) {
    const minutes = parseTimeOfDay(input.sendTime);
    if (minutes === null) throw new RangeError(`sendTime "${input.sendTime}" is not HH:MM`);
    due = due.set({
      hour: Math.floor(minutes / 60),
      minute: minutes % 60,
      second: 0,
      millisecond: 0,
    });
  }

  const notBeforeEnrollment = due < enrolled ? enrolled : due;
  return nextOpenMoment(notBeforeEnrollment.toJSDate(), input.window, input.timeZone);
}
