import { describe, expect, it } from 'vitest';
import { maskPhonesIn } from '../../../src/admin/audit.js';
import { secretMatches } from '../../../src/admin/webhook.js';
import {
  parseLeadStatus,
  parseTag,
  parseTagChanges,
  parseTagList,
} from '../../../src/leads/service.js';

describe('maskPhonesIn', () => {
  it('keeps only the last four digits of anything that looks like a phone', () => {
    expect(maskPhonesIn('/lead_add +34 600 111 222 | Ana')).toBe('/lead_add …1222 | Ana');
    expect(maskPhonesIn('/enroll 0034-600-111-333 Welcome')).toBe('/enroll …1333 Welcome');
  });

  it('leaves short numbers and ids alone', () => {
    expect(maskPhonesIn('/step_remove Welcome 2')).toBe('/step_remove Welcome 2');
    expect(maskPhonesIn('rv:sent:6b12e72928190434decf885d')).toBe(
      'rv:sent:6b12e72928190434decf885d',
    );
  });
});

describe('secretMatches', () => {
  it('accepts only the exact secret', () => {
    expect(secretMatches('s3cret-token-value', 's3cret-token-value')).toBe(true);
    expect(secretMatches('s3cret-token-valuE', 's3cret-token-value')).toBe(false);
    expect(secretMatches('s3cret', 's3cret-token-value')).toBe(false);
    expect(secretMatches(undefined, 's3cret-token-value')).toBe(false);
  });
});

describe('tags and statuses as admins type them', () => {
  it('lowercases tags and drops a leading #', () => {
    expect(parseTag('#VIP')).toEqual({ ok: true, value: 'vip' });
    expect(parseTagList('vip, Madrid vip')).toEqual({ ok: true, value: ['vip', 'madrid'] });
  });

  it('refuses tags that do not start with a letter', () => {
    expect(parseTag('2024')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('starting with a letter'),
    });
  });

  it('reads +tag and -tag changes', () => {
    expect(parseTagChanges('+vip -old +Gold')).toEqual({
      ok: true,
      value: { add: ['vip', 'gold'], remove: ['old'] },
    });
    expect(parseTagChanges('vip')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('needs a + to add it'),
    });
  });

  it('reads a lead status in any case', () => {
    expect(parseLeadStatus('Customer')).toEqual({ ok: true, value: 'customer' });
    expect(parseLeadStatus('vip')).toMatchObject({ ok: false });
  });
});
