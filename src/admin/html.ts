import { DateTime } from 'luxon';

/**
 * Text already in Telegram's HTML: made by {@link html}, which escapes everything
 * interpolated into it, so what an admin or a lead wrote cannot break a message.
 */
export class Html {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** Escapes `&`, `<`, `>` and `"` so Telegram shows `text` exactly as written. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

type Interpolated = Html | string | number | null | undefined | readonly Interpolated[];

/**
 * A template tag for Telegram HTML: interpolated strings and numbers are escaped,
 * {@link Html} values are inserted as they are, arrays are joined, null and
 * undefined vanish. `html\`<b>${title}</b>\`` is safe for any title.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new Html(out);
}

function render(value: Interpolated): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Joins pieces of HTML with `separator` (default a newline). */
export function joinHtml(parts: readonly (Html | string)[], separator = '\n'): Html {
  return new Html(parts.map((part) => render(part as Interpolated)).join(separator));
}

/** A reason as a sentence: first letter capitalized, a full stop at the end. */
export function sentence(reason: string): string {
  const text = reason.charAt(0).toUpperCase() + reason.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A moment as admins read it, in `timeZone`: `Sat 5 Dec 2026, 10:00`. */
export function formatTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat('ccc d LLL yyyy, HH:mm');
}

/** A text cut to `max` characters with an ellipsis, for previews in lists. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A text progress bar of `width` cells: `▓▓▓▓░░░░░░`. */
export function progressBar(done: number, total: number, width = 10): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return '▓'.repeat(filled) + '░'.repeat(width - filled);
}
