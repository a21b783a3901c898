import { describe, expect, it } from 'vitest';
import { nextOpenMoment, parseSendWindow } from '../../../src/domain/send-window.js';

describe('parseSendWindow', () => {
  it('reads HH:MM-HH:MM', () => {
    expect(parseSendWindow('09:00-20:30')).toEqual({ startMinute: 540, endMinute: 1230 });
    expect(parseSendWindow('00:00-24:00')).toEqual({ startMinute: 0, endMinute: 1440 });
  });

  it('refuses an end before the start and malformed times', () => {
    expect(parseSendWindow('20:00-09:00')).toBeNull();
    expect(parseSendWindow('9-5')).toBeNull();
    expect(parseSendWindow('25:00-26:00')).toBeNull();
  });
});

describe('nextOpenMoment', () => {
  const window = { startMinute: 9 * 60, endMinute: 20 * 60 };

  it('keeps a moment inside the window', () => {
    const at = new Date('2026-12-04T12:00:00Z');
    expect(nextOpenMoment(at, window, 'UTC')).toEqual(at);
  });

  it('moves an evening moment to the next morning in the given zone', () => {
    const at = new Date('2026-12-04T22:30:00Z'); // 17:30 in New York
    expect(nextOpenMoment(at, window, 'America/New_York')).toEqual(at);
    const late = new Date('2026-12-05T02:00:00Z'); // 21:00 in New York
    expect(nextOpenMoment(late, window, 'America/New_York')).toEqual(
      new Date('2026-12-05T14:00:00Z'),
    );
  });

  it('keeps the local opening hour across a daylight-saving change', () => {
    // Night of 31 Oct to 1 Nov 2026 in New York: clocks go back at 02:00.
    const night = new Date('2026-11-01T03:00:00Z'); // 23:00 EDT on 31 Oct
    expect(nextOpenMoment(night, window, 'America/New_York')).toEqual(
      new Date('2026-11-01T14:00:00Z'),
    );
  });
});
