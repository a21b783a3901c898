import { createHash } from 'node:crypto';
import type { Lead } from '../store/index.js';

/**
 * The text a lead receives for a step: `{{name}}`, `{{first_name|there}}` filled in
 * from the lead, one option of each `{Hi|Hello}` chosen. The choice is fixed by `seed`
 * (the step message's dedupe key), so a re-run renders the same text. Every step
 * message is rendered here and nowhere else.
 */
export function renderStepContent(content: string, lead: Pick<Lead, 'name'>, seed: string): string {
  const name = lead.name.trim();
  const firstName = name.split(/\s+/)[0] ?? '';
  const filled = content.replace(
    /\{\{\s*(name|first_name)\s*(?:\|([^}]*))?\}\}/g,
    (_, field: string, fallback?: string) =>
      (field === 'name' ? name : firstName) || (fallback ?? '').trim(),
  );

  let choice = 0;
  return filled.replace(/\{([^{}|]*\|[^{}]*)\}/g, (_, body: string) => {
    const options = body.split('|');
    return options[pick(seed, choice++, options.length)] ?? '';
  });
}

function pick(seed: string, index: number, count: number): number {
  const digest = createHash('sha256').update(`${seed}:${index}`).digest();
  return digest.readUInt32BE(0) % count;
}
