import type { Parsed } from '../domain/when.js';
import { parseTagList } from '../leads/service.js';
import type { Audience } from '../store/index.js';

const STATUS_WORDS: Record<string, Audience['status']> = {
  prospect: 'prospect',
  prospects: 'prospect',
  customer: 'customer',
  customers: 'customer',
  all: 'all',
  everyone: 'all',
};

/**
 * Reads who a campaign is for: `prospect`, `customer` or `all` (plurals accepted),
 * optionally followed by tags that a lead must have one of: `prospect vip, madrid`.
 */
export function parseTarget(text: string): Parsed<Audience> {
  const [first = '', ...rest] = text.trim().split(/\s+/);
  const status = STATUS_WORDS[first.toLowerCase()];
  if (!status) {
    return {
      ok: false,
      reason: `"${first}" is not an audience: write prospect, customer or all, optionally followed by tags`,
    };
  }
  const tags = parseTagList(rest.join(' '));
  if (!tags.ok) return tags;
  return { ok: true, value: tags.value.length ? { status, tags: tags.value } : { status } };
}

/** How an audience reads: `prospects with tag vip or madrid`. */
export function describeTarget(target: Audience): string {
  const who = target.status === 'all' ? 'all leads' : `${target.status}s`;
  if (!target.tags?.length) return who;
  return `${who} tagged ${target.tags.join(' or ')}`;
}

/**
 * Splits a one-line command on `|`, except inside `{...}`, so spintax such as
 * `{Hi|Hello}` stays in one field. Fields are trimmed.
 */
export function splitFields(line: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of line) {
    if (char === '{') depth += 1;
    if (char === '}') depth = Math.max(0, depth - 1);
    if (char === '|' && depth === 0) {
      fields.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  fields.push(current.trim());
  return fields;
}

/** An image reference typed by an admin: an http(s) URL. */
export function parseImageUrl(text: string): Parsed<string> {
  const url = text.trim();
  if (/^https?:\/\/\S+$/i.test(url)) return { ok: true, value: url };
  return { ok: false, reason: 'send a photo, an http(s) link to an image, or press Skip' };
}
