import { matchesAnyKeyword } from './keywords.js';
import { warmer, type Temperature } from './status.js';

/** What a lead's message says about their interest. */
export interface InboundSignal {
  /** The lead was known before this message (a first message from a stranger is not a reply). */
  isReply: boolean;
  text: string;
}

/**
 * A lead's temperature after they write: any reply warms a cold lead, a message with
 * one of `hotKeywords` (as a word, any case or accents) makes them hot. Never cools:
 * only an admin moves a lead down.
 */
export function temperatureAfterInbound(
  current: Temperature,
  signal: InboundSignal,
  hotKeywords: readonly string[],
): Temperature {
  let next = current;
  if (signal.isReply) next = warmer(next, 'warm');
  if (matchesAnyKeyword(signal.text, hotKeywords, 'contains')) next = warmer(next, 'hot');
  return next;
}
