import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN } from '../../../src/domain/send-window.js';
import { stepDueAt } from '../../../src/domain/step-timing.js';

const WINDOW = { startMinute: 9 * 60, endMinute: 20 * 60 };

function due(enrolledAt: string, dayNumber: number, timeZone: string, sendTime?: string) {
  return stepDueAt({
    enrolledAt: new Date(enrolledAt),
    dayNumber,
    sendTime,
    timeZone,
    window: WINDOW,
  }).toISOString();
}

describe('stepDueAt', () => {
  it('makes a first step without a send time due at the moment of enrollment', () => {
    expect(due('2026-06-10T12:34:56.789Z', 1, 'UTC')).toBe('2026-06-10T12:34:56.789Z');
  });

  it('counts days from the day of enrollment, at the enrollment’s time of day', () => {
    expect(due('2026-06-10T12:00:00Z', 3, 'UTC')).toBe('2026-06-12T12:00:00.000Z');
    expect(due('2026-06-10T12:00:00Z', 7, 'UTC')).toBe('2026-06-16T12:00:00.000Z');
  });

  it('goes at the send time of its day, in the lead’s zone', () => {
    // 12:00 UTC is 08:00 in New York (EDT, UTC-4); day 3 at 10:00 local is 14:00 UTC.
    expect(due('2026-06-10T12:00:00Z', 3, 'America/New_York', '10:00')).toBe(
      '2026-06-12T14:00:00.000Z',
    );
  });

  it('counts calendar days in the lead’s zone, not in UTC', () => {
    // 02:00 UTC on the 10th is still the 9th (22:00) in New York: day 2 is the 10th there.
    expect(due('2026-06-10T02:00:00Z', 2, 'America/New_York', '10:00')).toBe(
      '2026-06-10T14:00:00.000Z',
    );
  });

  it('sends a day-1 step whose time has passed at once instead of before the enrollment', () => {
    expect(due('2026-06-10T15:00:00Z', 1, 'UTC', '10:00')).toBe('2026-06-10T15:00:00.000Z');
  });

  describe('across the November change in America/New_York (clocks back on Nov 1, 2026)', () => {
    // Enrolled Friday Oct 30 at 15:00 EDT (UTC-4).
    const enrolled = '2026-10-30T19:00:00Z';

    it('is due at 10:00 local before the change (UTC-4)', () => {
      expect(due(enrolled, 2, 'America/New_York', '10:00')).toBe('2026-10-31T14:00:00.000Z');
    });

    it('is due at 10:00 local on the day of the change and after it (UTC-5)', () => {
      expect(due(enrolled, 3, 'America/New_York', '10:00')).toBe('2026-11-01T15:00:00.000Z');
      expect(due(enrolled, 7, 'America/New_York', '10:00')).toBe('2026-11-05T15:00:00.000Z');
    });

    it('keeps the enrollment’s wall-clock time for a step without a send time', () => {
      expect(due(enrolled, 3, 'America/New_York')).toBe('2026-11-01T20:00:00.000Z');
    });
  });

  describe('across the March change in Europe/Madrid (clocks forward on Mar 29, 2026)', () => {
    // Enrolled Friday Mar 27 at 12:00 CET (UTC+1).
    const enrolled = '2026-03-27T11:00:00Z';

    it('is due at 10:00 local before the change (UTC+1)', () => {
      expect(due(enrolled, 2, 'Europe/Madrid', '10:00')).toBe('2026-03-28T09:00:00.000Z');
    });

    it('is due at 10:00 local on the day of the change and after it (UTC+2)', () => {
      expect(due(enrolled, 3, 'Europe/Madrid', '10:00')).toBe('2026-03-29T08:00:00.000Z');
      expect(due(enrolled, 7, 'Europe/Madrid', '10:00')).toBe('2026-04-02T08:00:00.000Z');
    });

    it('moves a time the clocks skip forward by the gap', () => {
      const at = stepDueAt({
        enrolledAt: new Date(enrolled),
        dayNumber: 3,
        sendTime: '02:30',
        timeZone: 'Europe/Madrid',
        window: ALWAYS_OPEN,
      });
      expect(at.toISOString()).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    });
  });

  describe('with a send window', () => {
    it('moves a step due before the window opens to the opening', () => {
      expect(due('2026-06-10T12:00:00Z', 3, 'UTC', '07:00')).toBe('2026-06-12T09:00:00.000Z');
    });

    it('moves a late-evening enrollment’s first step to the next morning', () => {
      expect(due('2026-06-10T22:00:00Z', 1, 'UTC')).toBe('2026-06-11T09:00:00.000Z');
    });

    it('opens the window in the lead’s zone', () => {
      // 11:00 UTC is 07:00 EDT: the window opens at 09:00 EDT, 13:00 UTC.
      expect(due('2026-06-10T11:00:00Z', 1, 'America/New_York')).toBe('2026-06-10T13:00:00.000Z');
    });
  });

  it('names a malformed send time', () => {
    expect(() => due('2026-06-10T12:00:00Z', 1, 'UTC', '25:00')).toThrow(/"25:00" is not HH:MM/);
  });
});
