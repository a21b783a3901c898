import {
  isSupportedCountry as isKnownCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js/max';

export type { CountryCode };

/** True for a two-letter country code the phone library has numbering rules for. */
export function isSupportedCountry(code: string): code is CountryCode {
  return isKnownCountry(code);
}

export type PhoneResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * Normalizes a phone number as people write it (spaces, brackets, dashes, a leading
 * 00 or +) to E.164. Numbers without a country code are read in `defaultCountry`.
 */
export function normalizePhone(input: string, defaultCountry?: CountryCode): PhoneResult {
  const trimmed = input.trim();
  if (!trimmed) return { ok: false, reason: 'missing phone' };
  if (/[a-z]/i.test(trimmed.replace(/ext\.?|x/gi, ''))) {
    return { ok: false, reason: `bad number "${trimmed}": letters are not allowed` };
  }

  const international = trimmed.replace(/^\s*00/, '+');
  if (!international.startsWith('+') && !defaultCountry) {
    return {
      ok: false,
      reason: `bad number "${trimmed}": no country code; write it as +<country><number> or set DEFAULT_COUNTRY`,
    };
  }
  const parsed = parsePhoneNumberFromString(international, defaultCountry);
  if (!parsed || !parsed.isValid()) {
    return { ok: false, reason: `bad number "${trimmed}": not a valid phone number` };
  }
  return { ok: true, e164: parsed.number };
}

/** A phone number as it may appear in logs: only the last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `…${digits.slice(-4)}`;
}
