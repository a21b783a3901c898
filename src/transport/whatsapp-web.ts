import { EventEmitter } from 'node:events';
import pkg from 'whatsapp-web.js';
import type {
  Client as WAClient,
  ClientOptions,
  Message,
  MessageMedia as WAMessageMedia,
} from 'whatsapp-web.js';
import { maskPhone } from '../domain/phone.js';
import type { Logger } from '../log.js';
import {
  PermanentSendError,
  TransientSendError,
  TransportError,
  TransportUnavailableError,
  type AckEvent,
  type OutboundContent,
  type Transport,
  type TransportEvents,
  type TransportState,
} from './port.js';

// whatsapp-web.js is CommonJS: named imports fail at run time.
const { Client, LocalAuth, MessageMedia } = pkg;

/** The part of whatsapp-web.js's Client this transport uses; tests hand in a stand-in. */
export type WhatsAppClient = Pick<
  WAClient,
  'initialize' | 'destroy' | 'sendMessage' | 'getNumberId' | 'getChatById'
> &
  Pick<EventEmitter, 'on' | 'removeAllListeners'>;

/** Builds a client from the options this transport chose (LocalAuth, puppeteer settings). */
export type WhatsAppClientFactory = (options: ClientOptions) => WhatsAppClient;

/** Chromium flags that work on a headless server (see STACK.md). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Options for {@link WhatsAppWebTransport}. */
export interface WhatsAppWebOptions {
  /** Names the session on disk (`WA_CLIENT_ID`). */
  clientId: string;
  /** Folder LocalAuth keeps the browser profile in (`WA_SESSION_DIR`). */
  sessionDir: string;
  /** The system Chromium (`CHROMIUM_PATH`); puppeteer never downloads one. */
  chromiumPath: string;
  log: Logger;
  /** Default: whatsapp-web.js's own Client. */
  createClient?: WhatsAppClientFactory;
  /** Loads an image from an http(s) URL or a file path (default: MessageMedia's loaders). */
  loadMedia?: (ref: string) => Promise<WAMessageMedia>;
  /** Wait before asking again when getNumberId answers null, in ms (default 1,500). */
  numberRecheckMs?: number;
  /** How many of a chat's latest own messages findSent looks at (default 50). */
  findSentDepth?: number;
  /**
   * First wait before starting WhatsApp Web again after it disconnected or failed to
   * start, in ms (default 30,000); doubles on each failure up to 10 minutes, and is
   * reset once ready.
   */
  restartDelayMs?: number;
}

/** Where an error happened: before anything could go out, or while sending. */
export type SendPhase = 'before' | 'during';

const UNAVAILABLE = new RegExp(
  [
    'not connected',
    'session closed',
    'target closed',
    'browser has disconnected',
    'page has been closed',
    "reading 'evaluate'",
  ].join('|'),
  'i',
);
const PERMANENT =
  /invalid wid|wid error|not a valid (wid|number)|no whatsapp account|not registered/i;
const NO_LID = /no lid for user/i;

/**
 * Maps an error from whatsapp-web.js or puppeteer to the transport's three kinds,
 * keeping the original as `cause`. "No LID for user" comes before anything is sent;
 * other failures while sending (detached frames, "Evaluation failed", timeouts and
 * anything unrecognized) may have let the message out, so they carry mayHaveSent.
 */
export function mapWhatsAppError(error: unknown, phase: SendPhase): TransportError {
  if (error instanceof TransportError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const options = { cause: error };

  if (UNAVAILABLE.test(message)) {
    return new TransportUnavailableError(`WhatsApp Web is not connected: ${message}`, options);
  }
  if (PERMANENT.test(message)) {
    return new PermanentSendError(`refused by WhatsApp: ${message}`, options);
  }
  if (NO_LID.test(message)) {
    const text = `WhatsApp does not know this chat yet: ${message}`;
    return new TransientSendError(text, false, options);
  }
  return new TransientSendError(`WhatsApp Web failed: ${message}`, phase === 'during', options);
}

/** whatsapp-web.js ack numbers: -1 error, 0 pending, 1 server, 2 device, 3 read, 4 played. */
const RESTART_MIN_MS = 30_000;
const RESTART_MAX_MS = 10 * 60_000;

const ACK_STATUS: Record<number, AckEvent['status']> = {
  [-1]: 'error',
  1: 'server',
  2: 'delivered',
  3: 'read',
  4: 'read',
};

/**
 * The real transport: WhatsApp Web in the system Chromium through whatsapp-web.js,
 * its session kept on disk by LocalAuth. Maps the library's events to the port's
 * (`qr`, `state`, `inbound`, `ack`) and its errors to the three error kinds.
 */
export class WhatsAppWebTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly name = 'whatsapp-web';
  private currentState: TransportState = 'starting';
  private client: WhatsAppClient | undefined;
  private wasReady = false;
  private qr: string | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs: number;
  private readonly log: Logger;

  constructor(private readonly options: WhatsAppWebOptions) {
    super();
    this.log = options.log.child({ module: 'transport', transport: 'whatsapp-web' });
    this.restartDelayMs = options.restartDelayMs ?? RESTART_MIN_MS;
  }

  get state(): TransportState {
    return this.currentState;
  }

  get lastQr(): string | undefined {
    return this.currentState === 'qr' ? this.qr : undefined;
  }

  /** The options handed to the client factory: LocalAuth and headless system Chromium. */
  clientOptions(): ClientOptions {
    return {
      authStrategy: new LocalAuth({
        clientId: this.options.clientId,
        dataPath: this.options.sessionDir,
      }),
      puppeteer: {
        executablePath: this.options.chromiumPath,
        headless: true,
        args: CHROMIUM_FLAGS,
      },
    };
  }

  /**
   * Launches the browser and opens WhatsApp Web. Resolves once the page is up (the QR
   * or `ready` follow as events). When that fails the browser is closed, the state is
   * `disconnected`, and a TransportUnavailableError (cause kept) is thrown.
   */
  async start(): Promise<void> {
    this.stopped = false;
    this.cancelRestart();
    const factory = this.options.createClient ?? ((options: ClientOptions) => new Client(options));
    const client = factory(this.clientOptions());
    this.client = client;
    this.listen(client);
    this.setState('starting');

    try {
      await client.initialize();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error }, 'WhatsApp Web did not start');
      await this.closeClient();
      this.setState('disconnected', reason);
      this.scheduleRestart();
      const text = `WhatsApp Web did not start: ${reason}`;
      throw new TransportUnavailableError(text, { cause: error });
    }
  }

  /** Closes the browser. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRestart();
    await this.closeClient();
    this.setState('disconnected', 'stopped');
  }

  async send(to: string, content: OutboundContent): Promise<string> {
    const client = this.readyClient();
    const chatId = await this.chatIdOrThrow(client, to);
    const media = content.mediaUrl ? await this.media(content.mediaUrl) : undefined;

    try {
      const sent = media
        ? await client.sendMessage(chatId, media, { caption: content.text })
        : await client.sendMessage(chatId, content.text);
      return sent.id._serialized;
    } catch (error) {
      throw mapWhatsAppError(error, 'during');
    }
  }

  async checkNumber(to: string): Promise<boolean | null> {
    if (!this.client || this.currentState !== 'ready') return null;
    try {
      return (await this.lookupNumber(this.client, to)) !== null;
    } catch (error) {
      this.log.warn({ err: error, to: maskPhone(to) }, 'number check failed');
      return null;
    }
  }

  /** Looks through the chat's latest own messages for the same text sent at or after `since`. */
  async findSent(
    to: string,
    content: OutboundContent,
    since: Date,
  ): Promise<string | null | undefined> {
    if (!this.client || this.currentState !== 'ready') return undefined;
    try {
      const chatId = await this.lookupNumber(this.client, to);
      if (!chatId) return null;
      const chat = await this.client.getChatById(chatId);
      const limit = this.options.findSentDepth ?? 50;
      const recent = await chat.fetchMessages({ limit, fromMe: true });
      // WhatsApp stamps in whole seconds; allow one second of rounding.
      const sinceSeconds = Math.floor(since.getTime() / 1000) - 1;
      const hit = recent.find(
        (message) =>
          message.fromMe && message.body === content.text && message.timestamp >= sinceSeconds,
      );
      return hit ? hit.id._serialized : null;
    } catch (error) {
      this.log.warn({ err: error, to: maskPhone(to) }, 'could not look for a sent message');
      return undefined;
    }
  }

  private readyClient(): WhatsAppClient {
    if (!this.client || this.currentState !== 'ready') {
      throw new TransportUnavailableError(`WhatsApp Web is ${this.currentState}, not ready`);
    }
    return this.client;
  }

  private async chatIdOrThrow(client: WhatsAppClient, to: string): Promise<string> {
    let chatId: string | null;
    try {
      chatId = await this.lookupNumber(client, to);
    } catch (error) {
      throw mapWhatsAppError(error, 'before');
    }
    if (!chatId) throw new PermanentSendError('the number is not on WhatsApp');
    return chatId;
  }

  /** getNumberId, asked twice before a null is believed (it sometimes misses real accounts). */
  private async lookupNumber(client: WhatsAppClient, to: string): Promise<string | null> {
    const digits = to.replace(/\D/g, '');
    const first = await client.getNumberId(digits);
    if (first) return first._serialized;
    await new Promise((resolve) => setTimeout(resolve, this.options.numberRecheckMs ?? 1500));
    const second = await client.getNumberId(digits);
    return second ? second._serialized : null;
  }

  private async media(ref: string): Promise<WAMessageMedia> {
    const load =
      this.options.loadMedia ??
      (async (source: string) =>
        /^https?:\/\//i.test(source)
          ? MessageMedia.fromUrl(source, { unsafeMime: true })
          : MessageMedia.fromFilePath(source));
    try {
      return await load(ref);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR') {
        throw new PermanentSendError(`the image file ${ref} does not exist`, { cause: error });
      }
      throw new TransientSendError(`could not load the image ${ref}`, false, { cause: error });
    }
  }

  private listen(client: WhatsAppClient): void {
    client.on('qr', (qr: string) => {
      this.qr = qr;
      this.setState('qr');
      this.emit('qr', qr);
    });
    client.on('authenticated', () => this.log.info('WhatsApp session authenticated'));
    client.on('auth_failure', (message: string) => {
      this.setState('disconnected', `login failed: ${message}`);
    });
    client.on('ready', () => {
      this.wasReady = true;
      this.restartDelayMs = this.options.restartDelayMs ?? RESTART_MIN_MS;
      this.setState('ready');
    });
    client.on('disconnected', (reason: string) => {
      this.setState('disconnected', String(reason));
      this.scheduleRestart();
    });
    client.on('change_state', (state: string) => this.onChangeState(state));
    client.on('message', (message: Message) => void this.onMessage(message));
    client.on('message_ack', (message: Message, ack: number) => this.onAck(message, ack));
  }

  private onChangeState(state: string): void {
    if (state === 'CONNECTED') {
      if (this.wasReady) this.setState('ready');
    } else if (state === 'OPENING' || state === 'PAIRING') {
      this.setState('starting', state);
    } else {
      this.setState('disconnected', state);
    }
  }

  private async onMessage(message: Message): Promise<void> {
    if (message.fromMe || message.isStatus) return;
    try {
      const from = await this.senderNumber(message);
      if (!from) return;
      this.emit('inbound', {
        id: message.id._serialized,
        from: from.phone,
        text: message.body ?? '',
        hasMedia: message.hasMedia,
        profileName: from.name,
        at: new Date(message.timestamp * 1000),
      });
    } catch (error) {
      this.log.warn({ err: error }, 'could not read an inbound message');
    }
  }

  /** The sender as E.164 (null for groups, channels and broadcasts). */
  private async senderNumber(message: Message): Promise<{ phone: string; name?: string } | null> {
    const [user, server] = message.from.split('@');
    if (server !== 'c.us' && server !== 'lid') return null;
    const contact = await message.getContact().catch(() => undefined);
    const digits = server === 'c.us' ? user : contact?.number;
    if (!digits || !/^\d{6,15}$/.test(digits)) return null;
    return { phone: `+${digits}`, name: contact?.pushname || undefined };
  }

  private onAck(message: Message, ack: number): void {
    const status = ACK_STATUS[ack];
    if (!status || !message.fromMe) return;
    this.emit('ack', { waMessageId: message.id._serialized, status, at: new Date() });
  }

  /**
   * Starts WhatsApp Web again after a wait, unless stopped: a session that dropped
   * (phone offline, browser crash) comes back without a person restarting the bot.
   * A logged-out session comes back as a QR for the admins.
   */
  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    const delayMs = this.restartDelayMs;
    this.restartDelayMs = Math.min(delayMs * 2, RESTART_MAX_MS);
    this.log.warn({ retryInMs: delayMs }, 'WhatsApp Web will be started again');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restart();
    }, delayMs);
    this.restartTimer.unref();
  }

  private async restart(): Promise<void> {
    await this.closeClient();
    if (this.stopped) return;
    await this.start().catch(() => undefined);
  }

  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }

  private async closeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    client.removeAllListeners();
    await client.destroy().catch((error: unknown) => {
      this.log.warn({ err: error }, 'closing the browser failed');
    });
  }

  private setState(state: TransportState, reason?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    if (state !== 'qr') this.qr = undefined;
    const level = state === 'disconnected' ? 'warn' : 'info';
    this.log[level]({ state, reason }, 'WhatsApp state changed');
    this.emit('state', state, reason);
  }
}
