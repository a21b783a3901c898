import { renderTemplate, seededRandom } from '../domain/template.js';
import type { Lead } from '../store/index.js';

/**
 * The text a lead receives for a step: placeholders filled in from the lead, one
 * option of each spintax group chosen. The choice is fixed by `seed` (the step
 * message's dedupe key), so a re-run renders the same text.
 */
export function renderStepContent(
  content: string,
  lead: Pick<Lead, 'name' | 'phone'>,
  seed: string,
): string {
  return renderTemplate(content, { name: lead.name, phone: lead.phone }, seededRandom(seed));
}
