import { describe, expect, it } from 'vitest';
import { drawGapMs, retryDelayMs, SendCaps } from '../../../src/domain/pacing.js';

const T0 = new Date('2030-01-15T10:00:00Z').getTime();
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe('drawGapMs', () => {
  it('spans the range from min to max seconds', () => {
    expect(drawGapMs(20, 60, () => 0)).toBe(20_000);
    expect(drawGapMs(20, 60, () => 0.5)).toBe(40_000);
    expect(drawGapMs(0.05, 0.1, () => 0.999)).toBe(100);
  });
});

describe('retryDelayMs', () => {
  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs(attempt, 30_000))).toEqual([
      30_000, 60_000, 120_000,
    ]);
    expect(retryDelayMs(20, 30_000)).toBe(15 * 60_000);
  });
});

describe('SendCaps', () => {
  it('allows sends until the hourly cap, then until the oldest leaves the hour', () => {
    const caps = new SendCaps(3, 100);
    for (const minute of [0, 10, 20]) caps.record(at(minute));
    expect(caps.nextAllowedAt(at(30))).toEqual(at(60));
    expect(caps.nextAllowedAt(at(61))).toEqual(at(61));
  });

  it('applies the daily cap over the last 24 hours', () => {
    const caps = new SendCaps(100, 2, [at(0), at(60)]);
    expect(caps.nextAllowedAt(at(120))).toEqual(at(24 * 60));
    expect(caps.counts(at(24 * 60 + 1))).toEqual({ lastHour: 0, lastDay: 1 });
  });
});
