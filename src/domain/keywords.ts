/** How a lead's message is compared with a keyword. */
export type KeywordMatch = 'exact' | 'contains';

/**
 * The words of `text` as matching sees them: accents removed (NFD, then combining
 * marks dropped), lower case, split on anything that is not a letter or a digit. So
 * `¡Información!` and `informacion` give the same word, and punctuation never counts.
 */
export function matchWords(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** True when a keyword has something to match on: at least one letter or digit. */
export function isMatchableKeyword(keyword: string): boolean {
  return matchWords(keyword).length > 0;
}

/**
 * Whether `text` matches `keyword`. `exact`: the whole message is the keyword
 * (surrounding punctuation and spacing ignored). `contains`: the keyword's words
 * appear in the message, consecutively and as whole words (`info` matches `more info
 * please`, not `informal`). Case and accents never matter.
 */
export function matchesKeyword(text: string, keyword: string, match: KeywordMatch): boolean {
  const wanted = matchWords(keyword);
  if (wanted.length === 0) return false;
  const words = matchWords(text);
  if (match === 'exact') return sameWords(words, wanted);

  for (let start = 0; start + wanted.length <= words.length; start++) {
    if (sameWords(words.slice(start, start + wanted.length), wanted)) return true;
  }
  return false;
}

/** Whether `text` matches any of `keywords` (see {@link matchesKeyword}). */
export function matchesAnyKeyword(
  text: string,
  keywords: readonly string[],
  match: KeywordMatch,
): boolean {
  return keywords.some((keyword) => matchesKeyword(text, keyword, match));
}

/** True when the whole message is one of the stop words (`STOP`, `stop!`, `Opt out`). */
export function isStopMessage(text: string, stopWords: readonly string[]): boolean {
  return matchesAnyKeyword(text, stopWords, 'exact');
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((word, i) => word === b[i]);
}
