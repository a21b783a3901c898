import { z } from 'zod';
import { normalizePhone, type CountryCode } from '../domain/phone.js';
import { LEAD_STATUSES, type LeadStatus } from '../domain/status.js';
import type { Parsed } from '../domain/when.js';
import { isDuplicateKey, type Lead } from '../store/index.js';
import type { LeadRepository } from '../store/leads.js';

/** Longest lead name kept, in characters. */
export const MAX_NAME_LENGTH = 200;

const TAG = /^\p{L}[\p{L}\p{N}_-]{0,31}$/u;

/** What an admin hands in to add a lead; only the phone is required. */
export interface NewLead {
  phone: string;
  name?: string;
  status?: string;
  tags?: string[];
}

/** The outcome of a lead operation: the lead, or a sentence saying what to fix. */
export type LeadResult<T = Lead> = { ok: true; lead: T } | { ok: false; reason: string };

/** Tags to add and to remove, from `+vip -old`. */
export interface TagChanges {
  add: string[];
  remove: string[];
}

const newLeadSchema = z.object({
  name: z
    .string()
    .trim()
    .max(MAX_NAME_LENGTH, `the name can be at most ${MAX_NAME_LENGTH} characters`)
    .optional(),
  status: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(LEAD_STATUSES, { error: `the status is ${LEAD_STATUSES.join(' or ')}` }))
    .optional(),
  tags: z.array(z.string()).optional(),
});

/**
 * Reads a tag as an admin types it: lowercased, 1 to 32 letters, digits, `_` or `-`,
 * starting with a letter.
 */
export function parseTag(raw: string): Parsed<string> {
  const tag = raw.trim().replace(/^#/, '').toLowerCase();
  if (!TAG.test(tag)) {
    return {
      ok: false,
      reason: `"${raw.trim()}" is not a tag: use 1 to 32 letters, digits, _ or -, starting with a letter`,
    };
  }
  return { ok: true, value: tag };
}

/** Reads a comma- or space-separated list of tags. */
export function parseTagList(raw: string): Parsed<string[]> {
  const tags: string[] = [];
  for (const part of raw.split(/[\s,;]+/).filter(Boolean)) {
    const tag = parseTag(part);
    if (!tag.ok) return tag;
    if (!tags.includes(tag.value)) tags.push(tag.value);
  }
  return { ok: true, value: tags };
}

/** Reads tag changes such as `+vip -old +madrid`. */
export function parseTagChanges(raw: string): Parsed<TagChanges> {
  const changes: TagChanges = { add: [], remove: [] };
  const tokens = raw.split(/\s+/).filter(Boolean);
  if (!tokens.length) return { ok: false, reason: 'name the tags to change, like +vip -old' };
  for (const token of tokens) {
    const sign = token[0];
    if (sign !== '+' && sign !== '-') {
      return {
        ok: false,
        reason: `"${token}" needs a + to add it or a - to remove it, like +vip -old`,
      };
    }
    const tag = parseTag(token.slice(1));
    if (!tag.ok) return tag;
    (sign === '+' ? changes.add : changes.remove).push(tag.value);
  }
  return { ok: true, value: changes };
}

/** Reads a lead status (`prospect` or `customer`, any case). */
export function parseLeadStatus(raw: string): Parsed<LeadStatus> {
  const status = raw.trim().toLowerCase();
  if ((LEAD_STATUSES as readonly string[]).includes(status))
    return { ok: true, value: status as LeadStatus };
  return {
    ok: false,
    reason: `"${raw.trim()}" is not a status: use ${LEAD_STATUSES.join(' or ')}`,
  };
}

/**
 * Lead operations admins run from the chat: add one, change its status, add and
 * remove tags, look one up. Phones are read as people write them and stored in
 * E.164; numbers without a country code are read in `defaultCountry`.
 */
export class LeadService {
  constructor(
    private readonly leads: LeadRepository,
    private readonly defaultCountry?: CountryCode,
  ) {}

  /** Normalizes a phone number to E.164, or says why it is not one. */
  parsePhone(raw: string): Parsed<string> {
    const result = normalizePhone(raw, this.defaultCountry);
    return result.ok ? { ok: true, value: result.e164 } : { ok: false, reason: result.reason };
  }

  /** The lead with this phone, or why there is none. */
  async find(rawPhone: string): Promise<LeadResult> {
    const phone = this.parsePhone(rawPhone);
    if (!phone.ok) return { ok: false, reason: phone.reason };
    const lead = await this.leads.findByPhone(phone.value);
    if (!lead)
      return {
        ok: false,
        reason: `there is no lead with the number ${phone.value}; add it with /lead_add`,
      };
    return { ok: true, lead };
  }

  /** Adds a new lead (a cold prospect unless said otherwise); a known phone is refused. */
  async add(input: NewLead, source = 'admin'): Promise<LeadResult> {
    const phone = this.parsePhone(input.phone);
    if (!phone.ok) return { ok: false, reason: phone.reason };
    const fields = newLeadSchema.safeParse(input);
    if (!fields.success) return { ok: false, reason: fields.error.issues[0]!.message };
    const tags = parseTagList((input.tags ?? []).join(','));
    if (!tags.ok) return tags;

    try {
      const lead = await this.leads.create({
        phone: phone.value,
        name: fields.data.name ?? '',
        status: fields.data.status ?? 'prospect',
        tags: tags.value,
        source,
      });
      return { ok: true, lead };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return {
        ok: false,
        reason: `${phone.value} is already a lead; see it with /lead ${phone.value}`,
      };
    }
  }

  /** Sets a lead's status; returns the lead before and after. */
  async setStatus(
    rawPhone: string,
    rawStatus: string,
  ): Promise<LeadResult<{ before: Lead; after: Lead }>> {
    const status = parseLeadStatus(rawStatus);
    if (!status.ok) return status;
    const found = await this.find(rawPhone);
    if (!found.ok) return found;
    const after = await this.leads.update(found.lead._id, { status: status.value });
    if (!after) return { ok: false, reason: 'the lead was deleted meanwhile' };
    return { ok: true, lead: { before: found.lead, after } };
  }

  /** Adds and removes tags of a lead; returns it after the change. */
  async changeTags(rawPhone: string, changes: TagChanges): Promise<LeadResult> {
    const found = await this.find(rawPhone);
    if (!found.ok) return found;
    let lead: Lead | null = found.lead;
    if (changes.add.length) lead = await this.leads.addTags(found.lead._id, changes.add);
    if (lead && changes.remove.length)
      lead = await this.leads.removeTags(found.lead._id, changes.remove);
    if (!lead) return { ok: false, reason: 'the lead was deleted meanwhile' };
    return { ok: true, lead };
  }
}
