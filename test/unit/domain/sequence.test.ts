import { describe, expect, it } from 'vitest';
import { conditionHolds, totalDays, validateSequence } from '../../../src/domain/sequence.js';

const VALID = {
  name: 'Welcome',
  trigger: { keywords: ['info'], match: 'exact' },
  steps: [
    { dayNumber: 1, content: 'Hi {{first_name|there}}!' },
    { dayNumber: 3, sendTime: '10:00', content: 'Still interested?' },
    { dayNumber: 7, content: 'Last chance', setTemperature: 'warm' },
  ],
};

function problemsOf(input: unknown): string[] {
  const result = validateSequence(input);
  return result.ok ? [] : result.problems;
}

describe('validateSequence', () => {
  it('accepts a sequence and fills in the defaults', () => {
    const result = validateSequence(VALID);
    expect(result).toMatchObject({
      ok: true,
      totalDays: 7,
      sequence: { name: 'Welcome', active: true, stopOnReply: false, allowReentry: false },
    });
  });

  it('asks for a name', () => {
    expect(problemsOf({ ...VALID, name: '  ' })).toEqual(['name: give the sequence a name']);
  });

  it('asks for at least one step', () => {
    expect(problemsOf({ ...VALID, steps: [] })).toEqual(['steps: add at least one step']);
  });

  it('names the step whose day is out of order', () => {
    const steps = [VALID.steps[0], { dayNumber: 1, content: 'again' }];
    expect(problemsOf({ ...VALID, steps })).toEqual([
      expect.stringMatching(/^step 2: dayNumber: day 1 must come after day 1.*in order of day/),
    ]);
  });

  it('refuses day 0 and fractional days', () => {
    const problems = problemsOf({
      ...VALID,
      steps: [
        { dayNumber: 0, content: 'a' },
        { dayNumber: 2.5, content: 'b' },
      ],
    });
    expect(problems).toContain('step 1: dayNumber: 1 or more (day 1 is the day the lead enrolls)');
    expect(problems).toContain('step 2: dayNumber: a whole number, e.g. 1, 3 or 7');
  });

  it('asks for content in every step', () => {
    const steps = [{ dayNumber: 1, content: '   ' }];
    expect(problemsOf({ ...VALID, steps })).toEqual([
      'step 1: content: write the text of the message',
    ]);
  });

  it.each(['9:00', '24:00', '10:60', 'ten'])('refuses the send time %j', (sendTime) => {
    const steps = [{ dayNumber: 1, content: 'a', sendTime }];
    expect(problemsOf({ ...VALID, steps })).toEqual([
      'step 1: sendTime: a time of day as HH:MM, from 00:00 to 23:59, e.g. 10:00',
    ]);
  });

  it('names a template mistake in a step’s content', () => {
    const steps = [{ dayNumber: 1, content: 'Hi {{nam}}' }];
    expect(problemsOf({ ...VALID, steps })).toEqual([
      'step 1: content: unknown placeholder {{nam}}: use {{name}}, {{first_name}} or {{phone}}',
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({ name: '', steps: [{ dayNumber: 0, content: '' }] });
    expect(problems).toHaveLength(3);
  });

  it('refuses a keyword with nothing to match on and a media address that is not http(s)', () => {
    const problems = problemsOf({
      ...VALID,
      trigger: { keywords: ['?!'], match: 'exact' },
      steps: [{ dayNumber: 1, content: 'a', mediaUrl: 'ftp://example.com/a.png' }],
    });
    expect(problems).toEqual([
      'trigger: each keyword needs a letter or digit',
      'step 1: mediaUrl: an http(s) address of an image',
    ]);
  });
});

describe('totalDays', () => {
  it('is the last step’s day', () => {
    expect(totalDays(VALID.steps)).toBe(7);
    expect(totalDays([])).toBe(0);
  });
});

describe('conditionHolds', () => {
  const lead = { temperature: 'warm', repliedSinceEnrollment: false } as const;

  it('holds without a condition', () => {
    expect(conditionHolds(undefined, lead)).toBe(true);
  });

  it('checks the lead’s temperature against the set', () => {
    expect(conditionHolds({ temperatureIn: ['warm', 'hot'] }, lead)).toBe(true);
    expect(conditionHolds({ temperatureIn: ['hot'] }, lead)).toBe(false);
  });

  it('fails "no reply since enrollment" once the lead has replied', () => {
    expect(conditionHolds({ noReplySinceEnrollment: true }, lead)).toBe(true);
    const replied = { ...lead, repliedSinceEnrollment: true };
    expect(conditionHolds({ noReplySinceEnrollment: true }, replied)).toBe(false);
  });

  it('needs both parts when both are given', () => {
    const condition = { temperatureIn: ['warm' as const], noReplySinceEnrollment: true };
    expect(conditionHolds(condition, lead)).toBe(true);
    expect(conditionHolds(condition, { ...lead, repliedSinceEnrollment: true })).toBe(false);
    expect(conditionHolds(condition, { ...lead, temperature: 'cold' })).toBe(false);
  });
});
