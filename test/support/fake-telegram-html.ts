/**
 * How Telegram reads a message sent with `parse_mode: 'HTML'`: the tags it allows,
 * and the entities it decodes. Anything else is refused with the error Telegram
 * gives ("can't parse entities"), so a test catches text that was not escaped.
 */

const ALLOWED_TAGS = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };

/** The text a user sees, or the reason Telegram refuses the message. */
export type HtmlReading = { ok: true; plain: string } | { ok: false; error: string };

/** Checks `html` as Telegram would and returns the visible text. */
export function readTelegramHtml(html: string): HtmlReading {
  const open: string[] = [];
  let plain = '';
  let i = 0;

  while (i < html.length) {
    const char = html[i]!;
    if (char === '<') {
      const end = html.indexOf('>', i);
      if (end < 0) return refuse(`unclosed start tag at byte offset ${i}`);
      const tag = /^<\s*(\/?)\s*([a-z-]+)([^>]*)>$/i.exec(html.slice(i, end + 1));
      if (!tag || !ALLOWED_TAGS.has(tag[2]!.toLowerCase())) {
        return refuse(`Unsupported start tag "${html.slice(i + 1, end)}" at byte offset ${i}`);
      }
      const name = tag[2]!.toLowerCase();
      if (tag[1]) {
        if (open.pop() !== name)
          return refuse(`Unmatched end tag at byte offset ${i}, expected "</${name}>"`);
      } else {
        open.push(name);
      }
      i = end + 1;
    } else if (char === '&') {
      const entity = /^&(#x[0-9a-f]+|#\d+|[a-z]+);/i.exec(html.slice(i, i + 12));
      if (!entity) return refuse(`Character entity expected at byte offset ${i}`);
      const decoded = decodeEntity(entity[1]!);
      if (decoded === null) return refuse(`Unsupported HTML entity at byte offset ${i}`);
      plain += decoded;
      i += entity[0].length;
    } else {
      plain += char;
      i += 1;
    }
  }
  if (open.length) return refuse(`Can't find end tag corresponding to start tag "${open.at(-1)}"`);
  return { ok: true, plain };
}

function decodeEntity(body: string): string | null {
  if (body.startsWith('#x') || body.startsWith('#X'))
    return String.fromCodePoint(parseInt(body.slice(2), 16));
  if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
  return NAMED_ENTITIES[body.toLowerCase()] ?? null;
}

function refuse(detail: string): HtmlReading {
  return { ok: false, error: `Bad Request: can't parse entities: ${detail}` };
}
