import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readTelegramHtml } from './fake-telegram-html.js';

/**
 * A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests: the real grammY
 * bot talks to it through `client.apiRoot` (in this process or another one, through
 * TELEGRAM_API_ROOT), and the test plays the people on the other side. It keeps the
 * updates it hands out and every call the bot makes, and answers like Telegram does
 * where that matters to us: HTML is checked and refused when malformed, an edit
 * that changes nothing is refused, button data over 64 bytes is refused, a token
 * that is not the bot's gets 401, and getUpdates gets 409 while a webhook is set.
 */

/** A Telegram user the test plays. */
export interface FakeUser {
  id: number;
  first_name: string;
  username?: string;
}

/** A chat other than the user's private chat with the bot (a group, say). */
export interface FakeChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
}

/** A file the bot uploaded (a QR image, a CSV export). */
export interface FakeFile {
  filename: string;
  data: Buffer;
}

/** One message the bot sent, as the chat shows it now (after edits). */
export interface BotMessage {
  chatId: number;
  messageId: number;
  kind: 'text' | 'photo' | 'document';
  /** What the bot sent: the text or the caption, with its HTML. */
  html: string;
  /** What a user sees: tags removed, entities decoded. */
  text: string;
  parseMode?: string;
  replyMarkup?: InlineMarkup;
  photo?: FakeFile | string;
  document?: FakeFile | string;
  edits: number;
  deleted: boolean;
  sentAt: number;
}

/** An inline keyboard as the bot sent it. */
export interface InlineMarkup {
  inline_keyboard: { text: string; callback_data?: string; url?: string }[][];
}

/** One call the bot made, in order. */
export interface BotCall {
  method: string;
  params: Record<string, unknown>;
  at: number;
}

/** A refusal to inject into the next calls of one method. */
export interface Fault {
  status: number;
  description: string;
  retryAfterSeconds?: number;
  times: number;
}

/** Options for {@link FakeTelegram.start}. */
export interface FakeTelegramOptions {
  token?: string;
  botUsername?: string;
  /** Longest a getUpdates call is held open waiting for updates, in ms (default 500). */
  maxPollMs?: number;
  /** Port to listen on (default: any free one). */
  port?: number;
}

type Params = Record<string, unknown>;
type Update = Record<string, unknown> & { update_id: number };
type ApiReply = { status: number; body: Record<string, unknown> };

const BOT_ID = 7_000_000_001;

/** The fake server; build it with {@link FakeTelegram.start}. */
export class FakeTelegram {
  readonly token: string;
  readonly botUsername: string;
  readonly calls: BotCall[] = [];
  readonly callbackAnswers = new Map<string, { text?: string; show_alert?: boolean }>();

  private readonly maxPollMs: number;
  private server!: Server;
  private updates: Update[] = [];
  private nextUpdateId = 1;
  private nextMessageId = 1;
  private nextFileId = 1;
  private readonly waiters = new Set<() => void>();
  private readonly botMessages = new Map<string, BotMessage>();
  private readonly userFiles = new Map<string, { path: string; data: Buffer }>();
  private readonly chats = new Map<number, Params>();
  private readonly faults = new Map<string, Fault>();
  private webhook: { url: string; secret?: string } | null = null;
  private delivering: Promise<void> = Promise.resolve();
  private suspended = false;

  private constructor(options: FakeTelegramOptions) {
    this.token = options.token ?? '123456:TEST-TOKEN';
    this.botUsername = options.botUsername ?? 'CadenceTestBot';
    this.maxPollMs = options.maxPollMs ?? 500;
  }

  /** Starts the server on 127.0.0.1. */
  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(options);
    fake.server = createServer((req, res) => void fake.route(req, res));
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** The Bot API root to hand to grammY (`client.apiRoot`), without a trailing slash. */
  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The port the server listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const wake of this.waiters) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** While suspended every request has its connection cut, as when Telegram is unreachable. */
  suspend(suspended = true): void {
    this.suspended = suspended;
  }

  /** Makes the next `times` calls of `method` fail with `status` and `description`. */
  failNext(method: string, fault: Partial<Fault> & Pick<Fault, 'status' | 'description'>): void {
    this.faults.set(method, { times: 1, ...fault });
  }

  // ---- what the people in the chat do ----

  /** A user writes `text` (a command when it starts with `/`); returns the message id. */
  sendText(from: FakeUser, text: string, chat?: FakeChat): number {
    const message = this.userMessage(from, chat);
    message.text = text;
    const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
    if (command) message.entities = [{ type: 'bot_command', offset: 0, length: command[0].length }];
    this.push({ message });
    return message.message_id as number;
  }

  /** A user presses an inline button with `data` under the bot message `messageId`. */
  pressButton(
    from: FakeUser,
    message: { chatId: number; messageId: number },
    data: string,
  ): string {
    const id = `cb${this.nextUpdateId}`;
    const shown = this.botMessages.get(key(message.chatId, message.messageId));
    this.push({
      callback_query: {
        id,
        from: this.userObject(from),
        chat_instance: `ci${message.chatId}`,
        data,
        message: {
          message_id: message.messageId,
          date: now(),
          chat: this.chatObject(message.chatId, from),
          from: this.botUser(),
          text: shown?.text ?? '',
        },
      },
    });
    return id;
  }

  /** A user sends a file as a document; returns the message id. */
  sendDocument(
    from: FakeUser,
    file: { filename: string; content: Buffer | string; mimeType?: string; caption?: string },
    chat?: FakeChat,
  ): number {
    const data = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content);
    const fileId = this.storeUserFile(data, `documents/${file.filename}`);
    const message = this.userMessage(from, chat);
    message.document = {
      file_id: fileId,
      file_unique_id: `u${fileId}`,
      file_name: file.filename,
      mime_type: file.mimeType ?? 'text/csv',
      file_size: data.length,
    };
    if (file.caption) message.caption = file.caption;
    this.push({ message });
    return message.message_id as number;
  }

  /** A user sends a photo; returns the message id. */
  sendPhoto(
    from: FakeUser,
    photo: { data?: Buffer; caption?: string } = {},
    chat?: FakeChat,
  ): number {
    const data = photo.data ?? Buffer.from('fake-jpeg');
    const fileId = this.storeUserFile(data, `photos/file_${this.nextFileId}.jpg`);
    const message = this.userMessage(from, chat);
    message.photo = [
      {
        file_id: `${fileId}s`,
        file_unique_id: `u${fileId}s`,
        width: 90,
        height: 90,
        file_size: 100,
      },
      {
        file_id: fileId,
        file_unique_id: `u${fileId}`,
        width: 800,
        height: 800,
        file_size: data.length,
      },
    ];
    this.storeUserFile(data, `photos/file_${this.nextFileId}s.jpg`, `${fileId}s`);
    if (photo.caption) message.caption = photo.caption;
    this.push({ message });
    return message.message_id as number;
  }

  // ---- what the test reads ----

  /** A mark in time: messages sent after it have a larger `messageId`. */
  mark(): number {
    return this.nextMessageId - 1;
  }

  /** The bot's messages in a chat, oldest first (deleted ones included, flagged). */
  messages(chatId: number): BotMessage[] {
    return [...this.botMessages.values()]
      .filter((message) => message.chatId === chatId)
      .sort((a, b) => a.messageId - b.messageId);
  }

  /** Every bot message in every chat. */
  allMessages(): BotMessage[] {
    return [...this.botMessages.values()].sort((a, b) => a.messageId - b.messageId);
  }

  /** Waits until a bot message in `chatId` satisfies `test`; returns it. */
  async waitFor(
    chatId: number,
    test: (message: BotMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<BotMessage> {
    return this.poll(
      () => this.messages(chatId).find((m) => !m.deleted && test(m)),
      timeoutMs,
      () =>
        `no bot message in chat ${chatId} matched within ${timeoutMs} ms; the chat holds:\n` +
        this.describe(chatId),
    );
  }

  /**
   * Sends `text` as `from` and waits for the first bot message after it in that chat
   * (optionally the first that satisfies `test`).
   */
  async ask(
    from: FakeUser,
    text: string,
    test: (message: BotMessage) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<BotMessage> {
    const after = this.nextMessageId;
    this.sendText(from, text);
    return this.waitFor(from.id, (m) => m.messageId > after && test(m), timeoutMs);
  }

  /** Waits for a call of `method` after the `since`-th recorded call; returns it. */
  async waitForCall(
    method: string,
    test: (call: BotCall) => boolean = () => true,
    timeoutMs = 10_000,
  ) {
    return this.poll(
      () => this.calls.find((call) => call.method === method && test(call)),
      timeoutMs,
      () => `no ${method} call matched within ${timeoutMs} ms`,
    );
  }

  /** Resolves once the bot has fetched every update handed to it so far. */
  async waitUntilDelivered(timeoutMs = 10_000): Promise<void> {
    await this.poll(
      () => (this.updates.length === 0 ? true : undefined),
      timeoutMs,
      () => `${this.updates.length} updates were never fetched`,
    );
  }

  /** The inline buttons of a message, row by row, flattened. */
  buttons(message: BotMessage): { text: string; data: string }[] {
    return (message.replyMarkup?.inline_keyboard ?? [])
      .flat()
      .filter((button) => button.callback_data !== undefined)
      .map((button) => ({ text: button.text, data: button.callback_data! }));
  }

  /** A readable dump of a chat, for assertion messages. */
  describe(chatId: number): string {
    return this.messages(chatId)
      .map((m) => `  #${m.messageId} [${m.kind}${m.deleted ? ', deleted' : ''}] ${m.text}`)
      .join('\n');
  }

  /** The user's private chat id is the user id, as in Telegram. */
  privateChat(user: FakeUser): FakeChat {
    return { id: user.id, type: 'private' };
  }

  // ---- the Bot API ----

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.suspended) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
    if (file) return this.serveFile(file[1]!, decodeURIComponent(file[2]!), res);

    const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!call)
      return send(res, {
        status: 404,
        body: { ok: false, error_code: 404, description: 'Not Found' },
      });
    if (call[1] !== this.token) {
      return send(res, {
        status: 401,
        body: { ok: false, error_code: 401, description: 'Unauthorized' },
      });
    }
    const params = { ...Object.fromEntries(url.searchParams), ...(await readParams(req)) };
    const method = call[2]!;
    if (method !== 'getUpdates') this.calls.push({ method, params, at: Date.now() });

    const fault = this.takeFault(method);
    if (fault) return send(res, fault);
    send(res, await this.handle(method, params, req));
  }

  private takeFault(method: string): ApiReply | null {
    const fault = this.faults.get(method);
    if (!fault) return null;
    if (--fault.times <= 0) this.faults.delete(method);
    const parameters = fault.retryAfterSeconds
      ? { retry_after: fault.retryAfterSeconds }
      : undefined;
    return {
      status: fault.status,
      body: { ok: false, error_code: fault.status, description: fault.description, parameters },
    };
  }

  private async handle(method: string, p: Params, req: IncomingMessage): Promise<ApiReply> {
    switch (method) {
      case 'getMe':
        return ok({
          ...this.botUser(),
          can_join_groups: true,
          can_read_all_group_messages: false,
          supports_inline_queries: false,
        });
      case 'getUpdates':
        return this.getUpdates(p, req);
      case 'sendMessage':
        return this.sendBotMessage(p, 'text', String(p.text ?? ''));
      case 'sendPhoto':
        return this.sendBotMessage(p, 'photo', String(p.caption ?? ''));
      case 'sendDocument':
        return this.sendBotMessage(p, 'document', String(p.caption ?? ''));
      case 'editMessageText':
        return this.edit(p, { text: String(p.text ?? '') });
      case 'editMessageCaption':
        return this.edit(p, { text: String(p.caption ?? '') });
      case 'editMessageReplyMarkup':
        return this.edit(p, {});
      case 'deleteMessage':
        return this.deleteMessage(p);
      case 'answerCallbackQuery':
        this.callbackAnswers.set(String(p.callback_query_id), {
          text: p.text as string,
          show_alert: p.show_alert as boolean,
        });
        return ok(true);
      case 'getFile':
        return this.getFile(p);
      case 'setWebhook':
        this.webhook = { url: String(p.url), secret: p.secret_token as string | undefined };
        return ok(true);
      case 'deleteWebhook':
        this.webhook = null;
        if (p.drop_pending_updates) this.updates = [];
        return ok(true);
      case 'getWebhookInfo':
        return ok({
          url: this.webhook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: this.updates.length,
        });
      case 'setMyCommands':
      case 'deleteMyCommands':
      case 'sendChatAction':
        return ok(true);
      default:
        return {
          status: 404,
          body: { ok: false, error_code: 404, description: 'Not Found: method not found' },
        };
    }
  }

  private async getUpdates(p: Params, req: IncomingMessage): Promise<ApiReply> {
    if (this.webhook) {
      return fail(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = Number(p.offset ?? 0);
    if (offset > 0) this.updates = this.updates.filter((u) => u.update_id >= offset);
    const limit = Math.min(Number(p.limit ?? 100) || 100, 100);
    const waitMs = Math.min(Number(p.timeout ?? 0) * 1000, this.maxPollMs);

    if (!this.updates.length && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.waiters.add(wake);
        req.once('close', wake);
      });
    }
    return ok(this.updates.slice(0, limit));
  }

  private sendBotMessage(p: Params, kind: BotMessage['kind'], html: string): ApiReply {
    const chatId = Number(p.chat_id);
    if (!Number.isFinite(chatId)) return fail(400, 'Bad Request: chat not found');
    const checked = this.checkContent(p, html, kind === 'text' ? 4096 : 1024);
    if ('status' in checked) return checked;

    const message: BotMessage = {
      chatId,
      messageId: this.nextMessageId++,
      kind,
      html,
      text: checked.plain,
      parseMode: p.parse_mode as string | undefined,
      replyMarkup: checked.markup,
      edits: 0,
      deleted: false,
      sentAt: Date.now(),
    };
    if (kind === 'photo') message.photo = (p.photo as FakeFile | string) ?? undefined;
    if (kind === 'document') message.document = (p.document as FakeFile | string) ?? undefined;
    this.botMessages.set(key(chatId, message.messageId), message);
    return ok(this.messageObject(message));
  }

  private checkContent(
    p: Params,
    html: string,
    maxLength: number,
  ): { plain: string; markup?: InlineMarkup } | ApiReply {
    let plain = html;
    if (p.parse_mode === 'HTML') {
      const reading = readTelegramHtml(html);
      if (!reading.ok) return fail(400, reading.error);
      plain = reading.plain;
    } else if (p.parse_mode) {
      return fail(400, `Bad Request: unsupported parse_mode ${String(p.parse_mode)} in this fake`);
    }
    if (plain.length > maxLength) return fail(400, 'Bad Request: message is too long');
    const markup = parseMarkup(p.reply_markup);
    if (markup === 'too long') return fail(400, 'Bad Request: BUTTON_DATA_INVALID');
    return { plain, markup };
  }

  private edit(p: Params, change: { text?: string }): ApiReply {
    const message = this.botMessages.get(key(Number(p.chat_id), Number(p.message_id)));
    if (!message || message.deleted) return fail(400, 'Bad Request: message to edit not found');

    const html = change.text ?? message.html;
    const parseMode =
      change.text === undefined ? message.parseMode : (p.parse_mode as string | undefined);
    const checked = this.checkContent({ ...p, parse_mode: parseMode }, html, 4096);
    if ('status' in checked) return checked;
    const markup =
      p.reply_markup === undefined && change.text === undefined ? undefined : checked.markup;
    if (html === message.html && JSON.stringify(markup) === JSON.stringify(message.replyMarkup)) {
      return fail(
        400,
        'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    Object.assign(message, {
      html,
      text: checked.plain,
      parseMode,
      replyMarkup: markup,
      edits: message.edits + 1,
    });
    return ok(this.messageObject(message));
  }

  private deleteMessage(p: Params): ApiReply {
    const message = this.botMessages.get(key(Number(p.chat_id), Number(p.message_id)));
    if (!message || message.deleted) return fail(400, 'Bad Request: message to delete not found');
    message.deleted = true;
    return ok(true);
  }

  private getFile(p: Params): ApiReply {
    const file = this.userFiles.get(String(p.file_id));
    if (!file) return fail(400, 'Bad Request: invalid file_id');
    return ok({
      file_id: p.file_id,
      file_unique_id: `u${String(p.file_id)}`,
      file_size: file.data.length,
      file_path: file.path,
    });
  }

  private serveFile(token: string, path: string, res: ServerResponse): void {
    const file = [...this.userFiles.values()].find((f) => f.path === path);
    if (token !== this.token || !file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': file.data.length,
    });
    res.end(file.data);
  }

  // ---- building updates ----

  private push(body: Record<string, unknown>): void {
    const update = { update_id: this.nextUpdateId++, ...body };
    this.updates.push(update);
    if (this.webhook) this.deliver(update);
    for (const wake of [...this.waiters]) wake();
  }

  private deliver(update: Update): void {
    const target = this.webhook!;
    this.delivering = this.delivering.then(async () => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (target.secret) headers['x-telegram-bot-api-secret-token'] = target.secret;
      for (let tries = 0; tries < 20; tries++) {
        const response = await fetch(target.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(update),
        }).catch(() => null);
        if (response?.ok) {
          this.updates = this.updates.filter((u) => u.update_id !== update.update_id);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
  }

  private userMessage(from: FakeUser, chat?: FakeChat): Params {
    return {
      message_id: this.nextMessageId++,
      date: now(),
      from: this.userObject(from),
      chat: chat ? { ...chat } : this.chatObject(from.id, from),
    };
  }

  private userObject(user: FakeUser): Params {
    return { id: user.id, is_bot: false, first_name: user.first_name, username: user.username };
  }

  private chatObject(chatId: number, user: FakeUser): Params {
    const known = this.chats.get(chatId);
    if (known) return known;
    const chat = { id: chatId, type: 'private', first_name: user.first_name };
    this.chats.set(chatId, chat);
    return chat;
  }

  private botUser(): Params {
    return { id: BOT_ID, is_bot: true, first_name: 'Cadence', username: this.botUsername };
  }

  private messageObject(message: BotMessage): Params {
    const base: Params = {
      message_id: message.messageId,
      date: Math.floor(message.sentAt / 1000),
      chat: this.chats.get(message.chatId) ?? {
        id: message.chatId,
        type: 'private',
        first_name: 'Admin',
      },
      from: this.botUser(),
    };
    if (message.kind === 'text') base.text = message.text;
    else base.caption = message.text;
    if (message.kind === 'photo')
      base.photo = [
        {
          file_id: `bot-photo-${message.messageId}`,
          file_unique_id: `bp${message.messageId}`,
          width: 300,
          height: 300,
        },
      ];
    if (message.kind === 'document')
      base.document = {
        file_id: `bot-doc-${message.messageId}`,
        file_unique_id: `bd${message.messageId}`,
      };
    if (message.replyMarkup) base.reply_markup = message.replyMarkup;
    return base;
  }

  private storeUserFile(data: Buffer, path: string, fileId = `file${this.nextFileId++}`): string {
    this.userFiles.set(fileId, { path, data });
    return fileId;
  }

  private async poll<T>(
    find: () => T | undefined,
    timeoutMs: number,
    explain: () => string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(explain());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function key(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function ok(result: unknown): ApiReply {
  return { status: 200, body: { ok: true, result } };
}

function fail(status: number, description: string): ApiReply {
  return { status, body: { ok: false, error_code: status, description } };
}

function send(res: ServerResponse, reply: ApiReply): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function parseMarkup(raw: unknown): InlineMarkup | undefined | 'too long' {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const markup = (typeof raw === 'string' ? JSON.parse(raw) : raw) as InlineMarkup;
  const buttons = (markup.inline_keyboard ?? []).flat();
  if (buttons.some((b) => b.callback_data !== undefined && Buffer.byteLength(b.callback_data) > 64))
    return 'too long';
  return markup.inline_keyboard ? markup : undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readParams(req: IncomingMessage): Promise<Params> {
  const body = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  if (!body.length) return {};
  if (type.startsWith('application/json')) return JSON.parse(body.toString('utf8')) as Params;
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }
  const boundary = /boundary=([^;]+)/.exec(type)?.[1];
  if (type.startsWith('multipart/form-data') && boundary) return readMultipart(body, boundary);
  return {};
}

/**
 * Reads grammY's multipart bodies: plain fields (objects as JSON text) and files
 * referenced from a field as `attach://<id>`, which are put in that field's place.
 */
function readMultipart(body: Buffer, boundary: string): Params {
  const fields: Params = {};
  const files = new Map<string, FakeFile>();
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);

  while (start >= 0) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1] ?? '';
    const filename = /filename="?([^";\r\n]*)"?/i.exec(head)?.[1];
    if (filename !== undefined) files.set(name, { filename, data: Buffer.from(content) });
    else fields[name] = decodeField(content.toString('utf8'));
    start = next;
  }
  for (const [field, value] of Object.entries(fields)) {
    if (typeof value === 'string' && value.startsWith('attach://'))
      fields[field] = files.get(value.slice(9));
  }
  return fields;
}

function decodeField(value: string): unknown {
  if (/^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}
