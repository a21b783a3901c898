import { describe, expect, it } from 'vitest';
import { parseNewCampaign } from '../../../src/domain/campaign.js';

const RULES = { minDelayFloorSeconds: 5 };
const VALID = {
  title: 'Winter sale',
  message: 'Hi {{first_name|there}}, 20% off.',
  imageUrl: 'https://example.com/sale.jpg',
  target: { status: 'prospect', tags: ['vip'] },
  minDelaySeconds: 10,
  maxDelaySeconds: 30,
  scheduledAt: new Date('2030-01-01T10:00:00Z'),
};

const problemsOf = (input: unknown) => {
  const result = parseNewCampaign(input, RULES);
  return result.ok ? [] : result.problems;
};

describe('parseNewCampaign', () => {
  it('accepts a complete campaign', () => {
    const result = parseNewCampaign(VALID, RULES);
    expect(result).toEqual({ ok: true, campaign: VALID });
  });

  it('accepts an absolute file path as the image, and no image', () => {
    expect(problemsOf({ ...VALID, imageUrl: '/data/uploads/sale.jpg' })).toEqual([]);
    expect(problemsOf({ ...VALID, imageUrl: undefined })).toEqual([]);
  });

  it('asks for a title of 1 to 100 characters', () => {
    expect(problemsOf({ ...VALID, title: '  ' })).toEqual(['title: write a title']);
    expect(problemsOf({ ...VALID, title: 'x'.repeat(101) })).toEqual([
      'title: shorten the title to 100 characters or fewer',
    ]);
  });

  it('asks for a message of at most 4096 characters with a valid template', () => {
    expect(problemsOf({ ...VALID, message: 'x'.repeat(4097) })).toEqual([
      'message: shorten the message to 4096 characters or fewer (WhatsApp limit)',
    ]);
    expect(problemsOf({ ...VALID, message: 'Hi {name' })).toEqual([
      'message: the "{" at character 4 is never closed with "}"',
    ]);
  });

  it('refuses an image that is neither a web address nor an absolute path', () => {
    expect(problemsOf({ ...VALID, imageUrl: 'sale.jpg' })).toEqual([
      'imageUrl: give the image as an http(s) URL or an absolute file path such as /data/sale.jpg',
    ]);
  });

  it('names the allowed target statuses', () => {
    expect(problemsOf({ ...VALID, target: { status: 'everyone' } })).toEqual([
      'target.status: choose prospect, customer or all',
    ]);
  });

  it('keeps the shortest gap at or above the configured floor', () => {
    expect(problemsOf({ ...VALID, minDelaySeconds: 2 })).toEqual([
      'minDelaySeconds: wait at least 5 seconds between messages ' +
        '(shorter gaps get accounts banned)',
    ]);
    expect(
      parseNewCampaign(
        { ...VALID, minDelaySeconds: 0.05, maxDelaySeconds: 0.1 },
        {
          minDelayFloorSeconds: 0.05,
        },
      ).ok,
    ).toBe(true);
  });

  it('wants the longest gap at least the shortest', () => {
    expect(problemsOf({ ...VALID, minDelaySeconds: 20, maxDelaySeconds: 10 })).toEqual([
      'maxDelaySeconds: make the longest gap at least the shortest gap',
    ]);
  });

  it('wants scheduledAt as a date', () => {
    expect(problemsOf({ ...VALID, scheduledAt: 'tomorrow' })).toEqual([
      'scheduledAt: give the start as a date and time',
    ]);
  });
});
