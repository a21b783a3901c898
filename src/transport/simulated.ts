import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';
import { maskPhone } from '../domain/phone.js';
import { silentLogger, type Logger } from '../log.js';
import {
  PermanentSendError,
  TransientSendError,
  TransportUnavailableError,
  type AckEvent,
  type OutboundContent,
  type Transport,
  type TransportEvents,
  type TransportState,
} from './port.js';

/** One line of the outbox file: a message the simulated WhatsApp accepted. */
export interface OutboxLine {
  id: string;
  to: string;
  text: string;
  mediaUrl?: string;
  /** ISO time the line was written. */
  at: string;
}

/**
 * A fault to inject. `to` limits it to one number (any number when absent); `times`
 * is how many sends it affects (default 1; `not-on-whatsapp` lasts until cleared).
 * - `not-on-whatsapp`: the number has no account (PermanentSendError).
 * - `timeout`: the send hangs, writes nothing, and gives up after `hangMs`.
 * - `deliver-then-throw`: the outbox line is written, then TransientSendError with
 *   mayHaveSent=true.
 * - `transient`: TransientSendError before anything is written.
 * - `disconnect` / `reconnect`: the state goes to `disconnected` (sends throw
 *   TransportUnavailableError) and back to `ready`.
 */
export type SimulatedFault =
  | { kind: 'not-on-whatsapp'; to: string }
  | { kind: 'timeout' | 'deliver-then-throw' | 'transient'; to?: string; times?: number }
  | { kind: 'disconnect'; reason?: string }
  | { kind: 'reconnect' };

const faultSchema: z.ZodType<SimulatedFault> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('not-on-whatsapp'), to: z.string().regex(/^\+\d{6,15}$/) }),
  z.object({
    kind: z.enum(['timeout', 'deliver-then-throw', 'transient']),
    to: z
      .string()
      .regex(/^\+\d{6,15}$/)
      .optional(),
    times: z.number().int().min(1).optional(),
  }),
  z.object({ kind: z.literal('disconnect'), reason: z.string().optional() }),
  z.object({ kind: z.literal('reconnect') }),
]);

const inboundSchema = z.object({
  from: z.string().regex(/^\+\d{6,15}$/, 'from: an E.164 number such as +12015550123'),
  text: z.string(),
  name: z.string().optional(),
});

/** Delays of the acks that follow each send, in ms after it; false turns acks off. */
export interface AckDelaysMs {
  server: number;
  delivered: number;
  read: number;
}

/** Options for {@link SimulatedTransport}. */
export interface SimulatedTransportOptions {
  /** The JSONL file every accepted send is appended to (created with its folder). */
  outboxPath: string;
  /** HTTP port on 127.0.0.1 for `/inbound` and `/faults`; 0 (default) picks a free one. */
  port?: number;
  /** How long each send takes before its outbox line is written, in ms (default 0). */
  latencyMs?: number;
  /**
   * How long `send` takes to resolve after the line is written (the server's answer),
   * in ms (default 0): the window in which a crash leaves a sent message unrecorded.
   */
  confirmDelayMs?: number;
  /** How long a `timeout` fault hangs before giving up, in ms (default 10 minutes). */
  hangMs?: number;
  /** Ack timings (default server 20 ms, delivered 150 ms, read 400 ms); false: no acks. */
  ackDelaysMs?: AckDelaysMs | false;
  log?: Logger;
}

interface CountedFault {
  kind: 'timeout' | 'deliver-then-throw' | 'transient';
  to?: string;
  remaining: number;
}

const DEFAULT_ACK_DELAYS: AckDelaysMs = { server: 20, delivered: 150, read: 400 };
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A transport without a phone: every accepted send becomes one JSON line in the outbox
 * file, written before `send` resolves (so a crash right after leaves the line). Inbound
 * messages and faults come in over HTTP on 127.0.0.1 (`POST /inbound`, `POST /faults`)
 * or through {@link inject} and {@link receive}. Tests, benchmarks and trial runs use it.
 */
export class SimulatedTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly name = 'simulated';
  private currentState: TransportState = 'starting';
  private server: Server | undefined;
  private boundPort = 0;
  private readonly unknownNumbers = new Set<string>();
  private readonly faults: CountedFault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly hung = new Set<() => void>();
  private readonly log: Logger;

  constructor(private readonly options: SimulatedTransportOptions) {
    super();
    this.log = (options.log ?? silentLogger).child({ module: 'transport', transport: 'simulated' });
  }

  get state(): TransportState {
    return this.currentState;
  }

  /** The HTTP port actually bound (0 before start). */
  get port(): number {
    return this.boundPort;
  }

  get outboxPath(): string {
    return this.options.outboxPath;
  }

  /** Creates the outbox folder, listens on 127.0.0.1, and becomes `ready`. */
  async start(): Promise<void> {
    await mkdir(dirname(this.options.outboxPath), { recursive: true });
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    this.log.info({ port: this.boundPort }, 'simulated transport listening');
    this.setState('ready');
  }

  /** Stops the HTTP server and timers; hanging sends give up. State becomes `disconnected`. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const giveUp of this.hung) giveUp();
    this.hung.clear();
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.setState('disconnected', 'stopped');
  }

  async send(to: string, content: OutboundContent): Promise<string> {
    if (this.currentState !== 'ready') {
      throw new TransportUnavailableError(`simulated transport is ${this.currentState}`);
    }
    if (this.unknownNumbers.has(to)) {
      throw new PermanentSendError('the number is not on WhatsApp');
    }
    const fault = this.takeFault(to);
    if (fault === 'timeout') return this.hang();
    if (fault === 'transient') throw new TransientSendError('simulated transient failure');
    if (this.options.latencyMs) await this.delay(this.options.latencyMs);

    const id = await this.writeOutbox(to, content);
    this.scheduleAcks(id);
    if (this.options.confirmDelayMs) await this.delay(this.options.confirmDelayMs);
    if (fault === 'deliver-then-throw') {
      throw new TransientSendError('simulated failure after delivery', true);
    }
    return id;
  }

  async checkNumber(to: string): Promise<boolean | null> {
    if (this.currentState !== 'ready') return null;
    return !this.unknownNumbers.has(to);
  }

  /** Reads the outbox file, so it answers for sends made before a restart too. */
  async findSent(
    to: string,
    content: OutboundContent,
    since: Date,
  ): Promise<string | null | undefined> {
    const lines = await this.readOutbox();
    const found = lines.find(
      (line) =>
        line.to === to && line.text === content.text && Date.parse(line.at) >= since.getTime(),
    );
    return found ? found.id : null;
  }

  /** Every line of the outbox, oldest first (empty when the file does not exist). */
  async readOutbox(): Promise<OutboxLine[]> {
    let raw: string;
    try {
      raw = await readFile(this.options.outboxPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return raw
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as OutboxLine);
  }

  /** Applies a fault now (see {@link SimulatedFault}). */
  inject(fault: SimulatedFault): void {
    this.log.info({ fault: fault.kind }, 'fault injected');
    switch (fault.kind) {
      case 'not-on-whatsapp':
        this.unknownNumbers.add(fault.to);
        return;
      case 'disconnect':
        this.setState('disconnected', fault.reason ?? 'simulated disconnect');
        return;
      case 'reconnect':
        this.setState('ready');
        return;
      default:
        this.faults.push({ kind: fault.kind, to: fault.to, remaining: fault.times ?? 1 });
    }
  }

  /** Forgets every injected fault (numbers become reachable again). */
  clearFaults(): void {
    this.unknownNumbers.clear();
    this.faults.length = 0;
  }

  /** Emits an inbound message as if the lead had written it. */
  receive(from: string, text: string, name?: string): string {
    const id = `sim-in-${randomUUID()}`;
    this.emit('inbound', { id, from, text, hasMedia: false, profileName: name, at: new Date() });
    return id;
  }

  private takeFault(to: string): CountedFault['kind'] | undefined {
    const index = this.faults.findIndex((fault) => !fault.to || fault.to === to);
    if (index < 0) return undefined;
    const fault = this.faults[index]!;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(index, 1);
    return fault.kind;
  }

  private async writeOutbox(to: string, content: OutboundContent): Promise<string> {
    const line: OutboxLine = {
      id: `sim-${randomUUID()}`,
      to,
      text: content.text,
      ...(content.mediaUrl ? { mediaUrl: content.mediaUrl } : {}),
      at: new Date().toISOString(),
    };
    // appendFile resolves once the kernel has the bytes: a killed process keeps them.
    await appendFile(this.options.outboxPath, `${JSON.stringify(line)}\n`);
    this.log.debug({ to: maskPhone(to), id: line.id }, 'outbox line written');
    return line.id;
  }

  private hang(): Promise<never> {
    return new Promise((_, reject) => {
      const giveUp = () => {
        this.hung.delete(giveUp);
        reject(new TransientSendError('simulated send hung and gave up'));
      };
      this.hung.add(giveUp);
      this.later(this.options.hangMs ?? 10 * 60_000, giveUp);
    });
  }

  private scheduleAcks(waMessageId: string): void {
    const delays = this.options.ackDelaysMs ?? DEFAULT_ACK_DELAYS;
    if (!delays) return;
    for (const status of ['server', 'delivered', 'read'] as const) {
      this.later(delays[status], () => {
        const ack: AckEvent = { waMessageId, status, at: new Date() };
        this.emit('ack', ack);
      });
    }
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  private setState(state: TransportState, reason?: string): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state, reason);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === 'POST' && req.url === '/inbound') {
        const body = inboundSchema.parse(await readJson(req));
        const id = this.receive(body.from, body.text, body.name);
        return reply(res, 202, { id });
      }
      if (req.method === 'POST' && req.url === '/faults') {
        this.inject(faultSchema.parse(await readJson(req)));
        return reply(res, 202, { ok: true });
      }
      if (req.method === 'DELETE' && req.url === '/faults') {
        this.clearFaults();
        return reply(res, 200, { ok: true });
      }
      if (req.method === 'GET' && req.url === '/state') {
        return reply(res, 200, { state: this.state });
      }
      reply(res, 404, { error: 'POST /inbound, POST or DELETE /faults, GET /state' });
    } catch (error) {
      const message = error instanceof z.ZodError ? z.prettifyError(error) : String(error);
      reply(res, 400, { error: message });
    }
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body larger than 64 KiB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new Error('body is not JSON');
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
