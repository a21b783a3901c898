import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Update } from 'grammy/types';
import type { Logger } from '../log.js';

/** Largest update body accepted, in bytes (1 MB; updates are a few KB). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * True when `given` equals `expected`, compared in constant time: both are hashed
 * first, so neither their content nor their length leaks through timing.
 */
export function secretMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Options for {@link createWebhookHandler}. */
export interface WebhookHandlerOptions {
  /** The path Telegram posts to (the WEBHOOK_URL's path). */
  path: string;
  /** WEBHOOK_SECRET: Telegram sends it in `X-Telegram-Bot-Api-Secret-Token`. */
  secret: string;
  handle(update: Update): Promise<void>;
  log: Logger;
}

/**
 * A node:http request handler for Telegram's webhook calls. Returns false for
 * requests to other paths (so a server can route them elsewhere). Refuses a
 * missing or wrong secret with 401, answers 200 as soon as the update is read, and
 * handles updates one at a time in arrival order, as long polling does.
 */
export function createWebhookHandler(
  options: WebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  let queue: Promise<void> = Promise.resolve();

  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== options.path) return false;
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return true;
    }
    const header = req.headers[SECRET_HEADER];
    if (!secretMatches(Array.isArray(header) ? header[0] : header, options.secret)) {
      options.log.warn({ path: options.path }, 'refused a webhook call without the right secret');
      res.writeHead(401).end();
      req.resume();
      return true;
    }

    readUpdate(req)
      .then((update) => {
        res.writeHead(200).end();
        queue = queue.then(() => options.handle(update));
      })
      .catch((error: Error) => {
        options.log.warn({ err: error }, 'refused an unreadable webhook call');
        if (!res.headersSent) res.writeHead(400).end();
      });
    return true;
  };
}

async function readUpdate(req: IncomingMessage): Promise<Update> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_WEBHOOK_BODY_BYTES) throw new Error('webhook body over 1 MB');
    chunks.push(chunk as Buffer);
  }
  const update = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Update;
  if (typeof update?.update_id !== 'number') throw new Error('not a Telegram update');
  return update;
}
