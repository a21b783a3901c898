/**
 * Message templates: placeholders `{{name}}`, `{{first_name}}`, `{{phone}}`, each with
 * an optional fallback (`{{first_name|there}}`), and spintax `{Hi|Hello|Hey}` (nesting
 * allowed) so that leads do not all get the same words. Pure: no I/O.
 */

/** The placeholders a template may use. */
export const TEMPLATE_PLACEHOLDERS = ['name', 'first_name', 'phone'] as const;
export type Placeholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

/** What a template is rendered for. */
export interface TemplateLead {
  name?: string;
  phone: string;
}

/** A source of numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

/** The lead a preview is rendered for when none is given. */
export const SAMPLE_LEAD: TemplateLead = { name: 'Maria Garcia', phone: '+12015550123' };

type TemplateNode =
  | { type: 'text'; value: string }
  | { type: 'field'; name: string; fallback: string }
  | { type: 'choice'; options: TemplateNode[][] };

interface Parsed {
  nodes: TemplateNode[];
  problems: string[];
}

const KNOWN = new Set<string>(TEMPLATE_PLACEHOLDERS);
const PLACEHOLDER_LIST = '{{name}}, {{first_name}} or {{phone}}';

/** Reads a template into nodes, collecting every problem in plain words. */
function parse(template: string): Parsed {
  const parser = new Parser(template);
  const { options } = parser.sequence(0);
  return { nodes: options[0] ?? [], problems: parser.problems };
}

class Parser {
  pos = 0;
  readonly problems: string[] = [];

  constructor(private readonly src: string) {}

  /** Reads until the end (depth 0) or the `}` closing a choice, splitting options on `|`. */
  sequence(depth: number): { options: TemplateNode[][]; closed: boolean } {
    const options: TemplateNode[][] = [[]];
    let current = options[0]!;

    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (ch === '{' && this.src[this.pos + 1] === '{' && this.src[this.pos + 2] !== '{') {
        this.placeholder(current);
      } else if (ch === '{') {
        this.choice(current, depth);
      } else if (ch === '}' && depth > 0) {
        this.pos += 1;
        return { options, closed: true };
      } else if (ch === '}') {
        this.problems.push(`the "}" at character ${this.pos + 1} has no "{" before it`);
        this.pos += 1;
      } else if (ch === '|' && depth > 0) {
        current = [];
        options.push(current);
        this.pos += 1;
      } else {
        this.text(current, ch);
        this.pos += 1;
      }
    }
    return { options, closed: depth === 0 };
  }

  private placeholder(into: TemplateNode[]): void {
    const start = this.pos;
    const end = this.src.indexOf('}}', start + 2);
    if (end < 0) {
      this.problems.push(`the "{{" at character ${start + 1} is never closed with "}}"`);
      this.text(into, this.src.slice(start));
      this.pos = this.src.length;
      return;
    }
    const inner = this.src.slice(start + 2, end);
    const bar = inner.indexOf('|');
    const name = (bar < 0 ? inner : inner.slice(0, bar)).trim().toLowerCase();
    const fallback = bar < 0 ? '' : inner.slice(bar + 1).trim();
    if (!KNOWN.has(name)) {
      this.problems.push(`unknown placeholder {{${inner.trim()}}}: use ${PLACEHOLDER_LIST}`);
    }
    into.push({ type: 'field', name, fallback });
    this.pos = end + 2;
  }

  private choice(into: TemplateNode[], depth: number): void {
    const start = this.pos;
    this.pos += 1;
    const { options, closed } = this.sequence(depth + 1);
    if (!closed) {
      this.problems.push(`the "{" at character ${start + 1} is never closed with "}"`);
    }
    into.push({ type: 'choice', options });
  }

  private text(into: TemplateNode[], value: string): void {
    const last = into[into.length - 1];
    if (last?.type === 'text') last.value += value;
    else into.push({ type: 'text', value });
  }
}

/**
 * Problems with a template, each a sentence saying what to fix: unknown placeholders,
 * unbalanced `{`, `}`, `{{`. Empty when the template is fine.
 */
export function validateTemplate(template: string): string[] {
  return parse(template).problems;
}

/**
 * Renders a template for one lead. Spintax options are chosen with `random` (pass
 * {@link seededRandom} of the campaign and lead so a retry renders the same text).
 * An empty value with no fallback renders as nothing. Best effort on invalid
 * templates: validate first.
 */
export function renderTemplate(
  template: string,
  lead: TemplateLead,
  random: RandomSource = Math.random,
): string {
  return renderNodes(parse(template).nodes, lead, random);
}

/** The template as the sample lead (or `lead`) would get it, with fixed spintax choices. */
export function previewTemplate(template: string, lead: TemplateLead = SAMPLE_LEAD): string {
  return renderTemplate(template, lead, seededRandom('preview'));
}

function renderNodes(nodes: TemplateNode[], lead: TemplateLead, random: RandomSource): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.value;
    else if (node.type === 'field') out += fieldValue(node.name, lead) || node.fallback;
    else {
      const index = Math.min(Math.floor(random() * node.options.length), node.options.length - 1);
      out += renderNodes(node.options[index] ?? [], lead, random);
    }
  }
  return out;
}

function fieldValue(name: string, lead: TemplateLead): string {
  const fullName = (lead.name ?? '').trim().replace(/\s+/g, ' ');
  if (name === 'name') return fullName;
  if (name === 'first_name') return fullName.split(' ')[0] ?? '';
  if (name === 'phone') return lead.phone;
  return '';
}

/**
 * A repeatable random source from a string (FNV-1a hash feeding mulberry32): the same
 * seed always gives the same sequence, e.g. `${campaignId}:${leadId}`.
 */
export function seededRandom(seed: string): RandomSource {
  let hash = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    hash ^= seed.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  let state = hash >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
