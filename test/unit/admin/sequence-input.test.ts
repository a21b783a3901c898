import { describe, expect, it } from 'vitest';
import {
  parseKeywords,
  parseStepWhen,
  splitNameAndNumber,
  splitPhoneAndName,
} from '../../../src/admin/sequence-input.js';

describe('parseStepWhen', () => {
  it('reads a day with an optional time', () => {
    expect(parseStepWhen('1')).toEqual({ ok: true, value: { dayNumber: 1 } });
    expect(parseStepWhen('3 9:30')).toEqual({
      ok: true,
      value: { dayNumber: 3, sendTime: '09:30' },
    });
    expect(parseStepWhen('Day 7 at 18:00')).toEqual({
      ok: true,
      value: { dayNumber: 7, sendTime: '18:00' },
    });
  });

  it('refuses day 0, a bad time, and words', () => {
    expect(parseStepWhen('0')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('day 1 is the day'),
    });
    expect(parseStepWhen('2 25:00')).toMatchObject({
      ok: false,
      reason: '25:00 is not a time of day; use 00:00 to 23:59',
    });
    expect(parseStepWhen('soon')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('like 1, 3 10:00'),
    });
  });
});

describe('parseKeywords', () => {
  it('splits on commas and drops repeats', () => {
    expect(parseKeywords('price, info , price')).toEqual({ ok: true, value: ['price', 'info'] });
  });

  it('needs at least one keyword', () => {
    expect(parseKeywords(' , ')).toMatchObject({ ok: false });
  });
});

describe('splitPhoneAndName', () => {
  it('takes the leading phone-like words as the phone', () => {
    expect(splitPhoneAndName('+34 600 111 222 Welcome series')).toEqual({
      ok: true,
      value: ['+34 600 111 222', 'Welcome series'],
    });
  });

  it('splits on | when given, for names that start with digits', () => {
    expect(splitPhoneAndName('+34600111222 | 30 day plan')).toEqual({
      ok: true,
      value: ['+34600111222', '30 day plan'],
    });
  });

  it('refuses a line without a name', () => {
    expect(splitPhoneAndName('+34 600 111 222')).toMatchObject({ ok: false });
  });
});

describe('splitNameAndNumber', () => {
  it('takes the last number as the step', () => {
    expect(splitNameAndNumber('Welcome series 2')).toEqual({
      ok: true,
      value: ['Welcome series', 2],
    });
    expect(splitNameAndNumber('Welcome | 3')).toEqual({ ok: true, value: ['Welcome', 3] });
  });
});
