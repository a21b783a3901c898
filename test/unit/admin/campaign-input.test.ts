import { describe, expect, it } from 'vitest';
import {
  describeTarget,
  parseImageUrl,
  parseTarget,
  splitFields,
} from '../../../src/admin/campaign-input.js';

describe('parseTarget', () => {
  it('reads an audience, plural or not', () => {
    expect(parseTarget('prospects')).toEqual({ ok: true, value: { status: 'prospect' } });
    expect(parseTarget('ALL')).toEqual({ ok: true, value: { status: 'all' } });
  });

  it('reads tags after the audience', () => {
    expect(parseTarget('customer vip, Madrid')).toEqual({
      ok: true,
      value: { status: 'customer', tags: ['vip', 'madrid'] },
    });
  });

  it('refuses an unknown audience and says what to write', () => {
    expect(parseTarget('vips')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('prospect, customer or all'),
    });
  });
});

describe('describeTarget', () => {
  it('reads like a sentence', () => {
    expect(describeTarget({ status: 'prospect', tags: ['vip', 'madrid'] })).toBe(
      'prospects tagged vip or madrid',
    );
    expect(describeTarget({ status: 'all' })).toBe('all leads');
  });
});

describe('splitFields', () => {
  it('splits on | but not inside spintax braces', () => {
    expect(splitFields('Sale | {Hi|Hello} {{first_name|there}} | now')).toEqual([
      'Sale',
      '{Hi|Hello} {{first_name|there}}',
      'now',
    ]);
  });
});

describe('parseImageUrl', () => {
  it('accepts http(s) links only', () => {
    expect(parseImageUrl('https://example.com/a.jpg')).toEqual({
      ok: true,
      value: 'https://example.com/a.jpg',
    });
    expect(parseImageUrl('file:///etc/passwd')).toMatchObject({ ok: false });
  });
});
