import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PermanentSendError,
  TransientSendError,
  TransportUnavailableError,
  type AckEvent,
  type InboundEvent,
} from '../../../src/transport/port.js';
import { SimulatedTransport } from '../../../src/transport/simulated.js';
import { tempDir, waitFor } from '../../support/sending.js';

const dir = tempDir('simulated');
const TO = '+12015550100';
let transport: SimulatedTransport;
let outboxPath: string;

afterAll(() => dir.remove());

beforeEach(async () => {
  outboxPath = join(dir.path, `${Date.now()}`, 'outbox.jsonl');
  transport = new SimulatedTransport({
    outboxPath,
    ackDelaysMs: { server: 5, delivered: 15, read: 30 },
    hangMs: 200,
  });
  await transport.start();
});

afterEach(async () => {
  await transport.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${transport.port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('SimulatedTransport', () => {
  it('is ready after start, listening on a free loopback port', () => {
    expect(transport.state).toBe('ready');
    expect(transport.port).toBeGreaterThan(0);
  });

  it('writes each send as one outbox line before resolving', async () => {
    const id = await transport.send(TO, { text: 'Hello', mediaUrl: 'https://example.com/a.jpg' });
    const lines = await transport.readOutbox();
    expect(lines).toEqual([
      { id, to: TO, text: 'Hello', mediaUrl: 'https://example.com/a.jpg', at: expect.any(String) },
    ]);
  });

  it('reports server, delivered and read acks in that order', async () => {
    const acks: AckEvent[] = [];
    transport.on('ack', (ack) => acks.push(ack));
    const id = await transport.send(TO, { text: 'Hello' });
    await waitFor(() => acks.length === 3, 2_000, 5);
    expect(acks.map((ack) => [ack.waMessageId, ack.status])).toEqual([
      [id, 'server'],
      [id, 'delivered'],
      [id, 'read'],
    ]);
  });

  it('finds a sent message from its outbox, also from a new instance after a restart', async () => {
    const before = new Date(Date.now() - 1_000);
    const id = await transport.send(TO, { text: 'Hello' });
    const later = new SimulatedTransport({ outboxPath, ackDelaysMs: false });
    expect(await later.findSent(TO, { text: 'Hello' }, before)).toBe(id);
    expect(await later.findSent(TO, { text: 'Other' }, before)).toBeNull();
    expect(await later.findSent(TO, { text: 'Hello' }, new Date(Date.now() + 1_000))).toBeNull();
  });

  it('takes inbound messages over HTTP and emits them', async () => {
    const inbound: InboundEvent[] = [];
    transport.on('inbound', (message) => inbound.push(message));
    const response = await post('/inbound', { from: TO, text: 'STOP', name: 'Ana' });
    expect(response.status).toBe(202);
    expect(inbound).toMatchObject([
      { from: TO, text: 'STOP', profileName: 'Ana', hasMedia: false },
    ]);
  });

  it('refuses an inbound message without an E.164 sender, saying why', async () => {
    const response = await post('/inbound', { from: '2015550100', text: 'hi' });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('an E.164 number such as +12015550123');
  });

  describe('faults', () => {
    it('a number not on WhatsApp fails for good, over HTTP too', async () => {
      expect((await post('/faults', { kind: 'not-on-whatsapp', to: TO })).status).toBe(202);
      await expect(transport.send(TO, { text: 'Hi' })).rejects.toBeInstanceOf(PermanentSendError);
      expect(await transport.checkNumber(TO)).toBe(false);
      expect(await transport.readOutbox()).toEqual([]);
    });

    it('a hanging send writes nothing and gives up after hangMs', async () => {
      transport.inject({ kind: 'timeout', to: TO });
      const started = Date.now();
      await expect(transport.send(TO, { text: 'Hi' })).rejects.toBeInstanceOf(TransientSendError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(await transport.readOutbox()).toEqual([]);
    });

    it('a send that delivers and then throws leaves its line and says so', async () => {
      transport.inject({ kind: 'deliver-then-throw' });
      const error = await transport.send(TO, { text: 'Hi' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'transient', mayHaveSent: true });
      expect(await transport.readOutbox()).toHaveLength(1);
      await transport.send(TO, { text: 'Again' });
      expect(await transport.readOutbox()).toHaveLength(2);
    });

    it('a disconnect makes sends unavailable until the reconnect', async () => {
      const states: string[] = [];
      transport.on('state', (state) => states.push(state));
      await post('/faults', { kind: 'disconnect' });
      await expect(transport.send(TO, { text: 'Hi' })).rejects.toBeInstanceOf(
        TransportUnavailableError,
      );
      await post('/faults', { kind: 'reconnect' });
      await transport.send(TO, { text: 'Hi' });
      expect(states).toEqual(['disconnected', 'ready']);
    });

    it('refuses an unknown fault and changes nothing', async () => {
      const response = await post('/faults', { kind: 'meteor' });
      expect(response.status).toBe(400);
      await transport.send(TO, { text: 'Hi' });
    });
  });
});
