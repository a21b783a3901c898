import { isValidTimeZone } from '../domain/time.js';
import type { SendWindow } from '../domain/send-window.js';
import { stepDueAt } from '../domain/step-timing.js';
import type { Lead, SequenceStep } from '../store/index.js';

/** Where step times are read: the admins' zone for leads without one, and the send window. */
export interface StepTimingSettings {
  /** IANA zone for leads with no (or an unknown) `timezone`; ADMIN_TIMEZONE. */
  defaultTimeZone: string;
  /** SEND_WINDOW, applied in each lead's own zone. */
  sendWindow: SendWindow;
}

/** The lead's own time zone when it is a known IANA name, else the default. */
export function leadTimeZone(lead: Pick<Lead, 'timezone'>, defaultTimeZone: string): string {
  return lead.timezone && isValidTimeZone(lead.timezone) ? lead.timezone : defaultTimeZone;
}

/** When `step` is due for a lead who enrolled at `enrolledAt` (see {@link stepDueAt}). */
export function dueAtForStep(
  step: Pick<SequenceStep, 'dayNumber' | 'sendTime'>,
  enrolledAt: Date,
  lead: Pick<Lead, 'timezone'>,
  settings: StepTimingSettings,
): Date {
  return stepDueAt({
    enrolledAt,
    dayNumber: step.dayNumber,
    sendTime: step.sendTime,
    timeZone: leadTimeZone(lead, settings.defaultTimeZone),
    window: settings.sendWindow,
  });
}
