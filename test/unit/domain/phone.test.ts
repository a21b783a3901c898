import { describe, expect, it } from 'vitest';
import { maskPhone, normalizePhone } from '../../../src/domain/phone.js';

describe('normalizePhone', () => {
  it.each([
    ['+1 (201) 555-0101', undefined, '+12015550101'],
    ['0044 20 7946 0958', undefined, '+442079460958'],
    ['(201) 555-0101', 'US', '+12015550101'],
    ['612 345 678', 'ES', '+34612345678'],
  ] as const)('reads %s as E.164', (input, country, expected) => {
    expect(normalizePhone(input, country)).toEqual({ ok: true, e164: expected });
  });

  it('asks for a country code when a local number has no default country', () => {
    const result = normalizePhone('612 345 678');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/no country code.*DEFAULT_COUNTRY/);
  });

  it('refuses numbers that cannot exist', () => {
    expect(normalizePhone('+1 555')).toMatchObject({ ok: false });
    expect(normalizePhone('call me')).toMatchObject({ ok: false });
    expect(normalizePhone('  ')).toEqual({ ok: false, reason: 'missing phone' });
  });
});

describe('maskPhone', () => {
  it('keeps only the last four digits', () => {
    expect(maskPhone('+12015550101')).toBe('…0101');
  });
});
