import { EventEmitter } from 'node:events';
import type {
  Chat,
  ClientOptions,
  Contact,
  ContactId,
  Message,
  MessageContent,
  MessageMedia,
  MessageSendOptions,
} from 'whatsapp-web.js';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import {
  PermanentSendError,
  TransientSendError,
  TransportUnavailableError,
  type AckEvent,
  type InboundEvent,
} from '../../../src/transport/port.js';
import {
  CHROMIUM_FLAGS,
  mapWhatsAppError,
  WhatsAppWebTransport,
  type WhatsAppClient,
} from '../../../src/transport/whatsapp-web.js';

const TO = '+34600111222';

/** Builds a library Message with only the fields the transport reads. */
function waMessage(
  fields: Omit<Partial<Message>, 'id'> & { id?: string; contact?: Partial<Contact> },
): Message {
  const { id = 'true_34600111222@c.us_ABC', contact, ...rest } = fields;
  return {
    body: '',
    fromMe: false,
    isStatus: false,
    hasMedia: false,
    from: '34600111222@c.us',
    timestamp: Math.floor(Date.now() / 1000),
    getContact: async () => ({ number: '34600111222', pushname: 'Ana', ...contact }) as Contact,
    ...rest,
    id: { _serialized: id } as Message['id'],
  } as Message;
}

/** A stand-in for whatsapp-web.js's Client, typed by the library's own declarations. */
class StandInClient extends EventEmitter implements WhatsAppClient {
  initializeError: Error | undefined;
  destroyed = false;
  /** getNumberId answers null this many times before finding the number. */
  nullAnswers = 0;
  registered = true;
  numberChecks = 0;
  sendError: Error | undefined;
  sent: Array<{ chatId: string; content: MessageContent; options?: MessageSendOptions }> = [];
  history: Message[] = [];

  constructor(readonly options: ClientOptions) {
    super();
  }

  async initialize(): Promise<void> {
    if (this.initializeError) throw this.initializeError;
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
  }

  async getNumberId(number: string): Promise<ContactId | null> {
    this.numberChecks += 1;
    if (!this.registered || this.nullAnswers-- > 0) return null;
    return { server: 'c.us', user: number, _serialized: `${number}@c.us` };
  }

  async sendMessage(
    chatId: string,
    content: MessageContent,
    options?: MessageSendOptions,
  ): Promise<Message> {
    if (this.sendError) throw this.sendError;
    this.sent.push({ chatId, content, options });
    return waMessage({ id: `true_${chatId}_${this.sent.length}`, fromMe: true });
  }

  async getChatById(): Promise<Chat> {
    return { fetchMessages: async () => this.history } as unknown as Chat;
  }
}

let client: StandInClient;
let transport: WhatsAppWebTransport;

function makeTransport(
  loadMedia?: (ref: string) => Promise<MessageMedia>,
  prepare: (client: StandInClient) => void = () => undefined,
) {
  transport = new WhatsAppWebTransport({
    clientId: 'shop',
    sessionDir: '/tmp/cadence-wa-test',
    chromiumPath: '/usr/bin/chromium',
    log: silentLogger,
    numberRecheckMs: 1,
    restartDelayMs: 20,
    loadMedia,
    createClient: (options) => {
      client = new StandInClient(options);
      prepare(client);
      return client;
    },
  });
  return transport;
}

async function readyTransport() {
  await makeTransport().start();
  client.emit('ready');
  return transport;
}

async function waitUntil(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(async () => {
  await transport?.stop();
});

describe('WhatsAppWebTransport', () => {
  describe('start', () => {
    it('uses LocalAuth and the system Chromium, headless, with our flags', async () => {
      await makeTransport().start();
      const auth = client.options.authStrategy as unknown as { clientId: string; dataPath: string };
      expect(auth.clientId).toBe('shop');
      expect(auth.dataPath).toBe('/tmp/cadence-wa-test');
      expect(client.options.puppeteer).toMatchObject({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_FLAGS,
      });
      expect(transport.state).toBe('starting');
    });

    it('closes the browser and is unavailable when WhatsApp Web cannot be reached', async () => {
      const failure = new Error('net::ERR_NAME_NOT_RESOLVED at https://web.whatsapp.com/');
      makeTransport(undefined, (standIn) => (standIn.initializeError = failure));
      const states: string[] = [];
      transport.on('state', (state, reason) => states.push(`${state}: ${reason}`));
      const start = transport.start();
      await expect(start).rejects.toBeInstanceOf(TransportUnavailableError);
      await expect(start).rejects.toMatchObject({ cause: failure });
      expect(client.destroyed).toBe(true);
      expect(states).toEqual([`disconnected: ${failure.message}`]);
    });
  });

  describe('after a disconnect', () => {
    it('starts WhatsApp Web again by itself, in a new browser', async () => {
      await readyTransport();
      const first = client;
      const states: string[] = [];
      transport.on('state', (state) => states.push(state));

      first.emit('disconnected', 'NAVIGATION');
      await waitUntil(() => client !== first);
      expect(first.destroyed).toBe(true);
      client.emit('ready');
      expect(states).toEqual(['disconnected', 'starting', 'ready']);
    });

    it('keeps trying while the start fails, and stops trying once stopped', async () => {
      let starts = 0;
      makeTransport(undefined, (next) => {
        starts += 1;
        if (starts <= 2) next.initializeError = new Error('net::ERR_NAME_NOT_RESOLVED');
      });
      await expect(transport.start()).rejects.toThrow(TransportUnavailableError);
      await waitUntil(() => starts === 3);
      await transport.stop();
      const stoppedAt = starts;
      client.emit('disconnected', 'LOGOUT');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(starts).toBe(stoppedAt);
    });
  });

  describe('events', () => {
    it('forwards the QR, then ready, then a disconnect with its reason', async () => {
      await makeTransport().start();
      const seen: string[] = [];
      transport.on('qr', (qr) => seen.push(`qr ${qr}`));
      transport.on('state', (state, reason) => {
        seen.push(['state', state, reason].join(' ').trim());
      });

      client.emit('qr', 'QR-1');
      expect(transport.lastQr).toBe('QR-1');
      client.emit('ready');
      expect(transport.lastQr).toBeUndefined();
      client.emit('change_state', 'TIMEOUT');
      client.emit('change_state', 'CONNECTED');
      client.emit('disconnected', 'LOGOUT');
      expect(seen).toEqual([
        'state qr',
        'qr QR-1',
        'state ready',
        'state disconnected TIMEOUT',
        'state ready',
        'state disconnected LOGOUT',
      ]);
    });

    it('turns a lead’s message into an inbound event with an E.164 number', async () => {
      await readyTransport();
      const inbound: InboundEvent[] = [];
      transport.on('inbound', (message) => inbound.push(message));

      client.emit('message', waMessage({ body: 'PRICE?', timestamp: 1_900_000_000 }));
      client.emit('message', waMessage({ from: '120363@g.us', body: 'group chatter' }));
      const viaLid = waMessage({ from: '99887766@lid', contact: { number: '447700900123' } });
      client.emit('message', viaLid);
      client.emit('message', waMessage({ fromMe: true, body: 'our own' }));
      await new Promise((resolve) => setTimeout(resolve, 10));

      expect(inbound.map(({ from, text, profileName }) => ({ from, text, profileName }))).toEqual([
        { from: '+34600111222', text: 'PRICE?', profileName: 'Ana' },
        { from: '+447700900123', text: '', profileName: 'Ana' },
      ]);
      expect(inbound[0]!.at).toEqual(new Date(1_900_000_000_000));
    });

    it('maps acks: server, delivered, read (and played), error', async () => {
      await readyTransport();
      const acks: AckEvent['status'][] = [];
      transport.on('ack', (ack) => acks.push(ack.status));
      for (const ack of [0, 1, 2, 3, 4, -1]) {
        client.emit('message_ack', waMessage({ fromMe: true }), ack);
      }
      expect(acks).toEqual(['server', 'delivered', 'read', 'read', 'error']);
    });
  });

  describe('send', () => {
    it('sends text to the number’s chat and returns WhatsApp’s message id', async () => {
      await readyTransport();
      const id = await transport.send(TO, { text: 'Hello' });
      expect(client.sent).toEqual([
        { chatId: '34600111222@c.us', content: 'Hello', options: undefined },
      ]);
      expect(id).toBe('true_34600111222@c.us_1');
    });

    it('sends an image with the text as its caption', async () => {
      const media = { mimetype: 'image/jpeg', data: 'AAAA' } as MessageMedia;
      const loaded: string[] = [];
      await makeTransport(async (ref) => (loaded.push(ref), media)).start();
      client.emit('ready');
      await transport.send(TO, { text: 'Sale', mediaUrl: 'https://example.com/a.jpg' });
      expect(loaded).toEqual(['https://example.com/a.jpg']);
      expect(client.sent[0]).toMatchObject({ content: media, options: { caption: 'Sale' } });
    });

    it('fails for good when the image file does not exist', async () => {
      await readyTransport();
      const send = transport.send(TO, { text: 'Sale', mediaUrl: '/no/such/file.jpg' });
      await expect(send).rejects.toBeInstanceOf(PermanentSendError);
    });

    it('asks twice before calling a number not on WhatsApp', async () => {
      await readyTransport();
      client.nullAnswers = 1;
      await transport.send(TO, { text: 'Hi' });
      expect(client.numberChecks).toBe(2);

      client.registered = false;
      client.numberChecks = 0;
      await expect(transport.send(TO, { text: 'Hi' })).rejects.toThrow(
        new PermanentSendError('the number is not on WhatsApp'),
      );
      expect(client.numberChecks).toBe(2);
      expect(client.sent).toHaveLength(1);
    });

    it('is unavailable until ready', async () => {
      await makeTransport().start();
      await expect(transport.send(TO, { text: 'Hi' })).rejects.toBeInstanceOf(
        TransportUnavailableError,
      );
    });

    it('reports a failure inside sendMessage as transient and maybe sent', async () => {
      await readyTransport();
      const failure = new Error('Evaluation failed: TypeError: cannot read properties');
      client.sendError = failure;
      const error = await transport.send(TO, { text: 'Hi' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientSendError);
      expect(error).toMatchObject({ mayHaveSent: true, cause: failure });
    });
  });

  describe('findSent', () => {
    it('finds our message with the same text sent since the given time', async () => {
      await readyTransport();
      const since = new Date('2030-01-01T10:00:00Z');
      const seconds = since.getTime() / 1000;
      client.history = [
        waMessage({ id: 'old', fromMe: true, body: 'Hi Ana', timestamp: seconds - 60 }),
        waMessage({ id: 'other', fromMe: true, body: 'Something else', timestamp: seconds + 5 }),
        waMessage({ id: 'ours', fromMe: true, body: 'Hi Ana', timestamp: seconds + 2 }),
      ];
      expect(await transport.findSent(TO, { text: 'Hi Ana' }, since)).toBe('ours');
      expect(await transport.findSent(TO, { text: 'Bye' }, since)).toBeNull();
    });

    it('cannot tell while not connected', async () => {
      await makeTransport().start();
      expect(await transport.findSent(TO, { text: 'Hi' }, new Date())).toBeUndefined();
    });
  });
});

describe('mapWhatsAppError', () => {
  const cases: Array<[string, 'before' | 'during', string, boolean?]> = [
    ['No LID for user', 'during', 'transient', false],
    ['Evaluation failed: Error: No LID for user', 'during', 'transient', false],
    ['Attempted to use detached Frame', 'during', 'transient', true],
    ['Evaluation failed: undefined', 'during', 'transient', true],
    ['Navigation timeout of 30000 ms exceeded', 'before', 'transient', false],
    ['Protocol error (Runtime.callFunctionOn): Session closed.', 'during', 'unavailable'],
    ['Protocol error: Target closed', 'before', 'unavailable'],
    ['invalid wid', 'before', 'permanent'],
  ];

  it.each(cases)('maps "%s" (%s sending) to %s', (message, phase, kind, mayHaveSent) => {
    const cause = new Error(message);
    const mapped = mapWhatsAppError(cause, phase);
    expect(mapped.kind).toBe(kind);
    expect(mapped.cause).toBe(cause);
    if (mayHaveSent !== undefined) {
      expect((mapped as TransientSendError).mayHaveSent).toBe(mayHaveSent);
    }
  });

  it('keeps an error that is already one of the three kinds', () => {
    const error = new PermanentSendError('no');
    expect(mapWhatsAppError(error, 'during')).toBe(error);
  });
});
