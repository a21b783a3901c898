import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Types } from 'mongoose';
import { Dispatcher } from '../src/dispatch/dispatcher.js';
import type { DispatcherSettings } from '../src/dispatch/settings.js';
import type { RandomSource } from '../src/domain/template.js';
import { systemClock, type Clock } from '../src/domain/time.js';
import { AppEvents } from '../src/events.js';
import { silentLogger } from '../src/log.js';
import type { Store } from '../src/store/index.js';
import { attemptKey } from '../src/store/send-attempts.js';
import { SimulatedTransport } from '../src/transport/simulated.js';
import { benchDispatcherSettings } from './support.js';

/** A simulated transport (no latency, acks off) writing to a temporary outbox. */
export class BenchTransport extends SimulatedTransport {
  private readonly dir: string;

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'cadence-bench-outbox-'));
    super({ outboxPath: join(dir, 'outbox.jsonl'), ackDelaysMs: false });
    this.dir = dir;
  }

  /** Stops the transport and removes its outbox. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What {@link createBenchDispatcher} is given. */
export interface BenchDispatcherOptions {
  store: Store;
  transport: SimulatedTransport;
  settings?: Partial<DispatcherSettings>;
  clock?: Clock;
  random?: RandomSource;
}

/** The real Dispatcher over a bench store and transport, silent. */
export function createBenchDispatcher(options: BenchDispatcherOptions): Dispatcher {
  return new Dispatcher({
    store: options.store,
    transport: options.transport,
    events: new AppEvents(),
    log: silentLogger,
    clock: options.clock ?? systemClock,
    settings: benchDispatcherSettings(options.settings),
    random: options.random,
  });
}

/** Resolves when the dispatcher has emitted `sent` `total` times. */
export function whenSent(dispatcher: Dispatcher, total: number): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    const onSent = () => {
      sent += 1;
      if (sent < total) return;
      dispatcher.off('sent', onSent);
      resolve();
    };
    dispatcher.on('sent', onSent);
  });
}

/**
 * The same database work per message as the dispatcher's, with nothing else: claim one
 * due campaign message (one findOneAndUpdate), insert its send attempt, send it, record
 * the attempt's outcome and the message as sent. Returns how many were sent.
 */
export async function bareSendLoop(
  store: Store,
  transport: SimulatedTransport,
  total: number,
): Promise<number> {
  const messages = store.messages.model.collection;
  type AttemptDoc = { _id: string; [field: string]: unknown };
  const attempts = store.connection.db!.collection<AttemptDoc>('send_attempts');
  const owner = 'bench-bare-loop';
  let sent = 0;
  while (sent < total) {
    const now = new Date();
    const message = await messages.findOneAndUpdate(
      { status: 'pending', priority: 2, notBefore: { $lte: now } },
      {
        $set: { status: 'queued', claimedBy: owner, leaseUntil: new Date(now.getTime() + 60_000) },
        $inc: { attempt: 1 },
      },
      { returnDocument: 'after' },
    );
    if (!message) break;

    const key = attemptKey(message._id, message.attempt);
    await attempts.insertOne({
      _id: key,
      messageId: message._id,
      attempt: message.attempt,
      sender: owner,
      startedAt: now,
    });
    const waMessageId = await transport.send(message.to, { text: message.content });
    const at = new Date();
    const outcome = { outcome: 'sent', finishedAt: at, waMessageId };
    await attempts.updateOne({ _id: key }, { $set: outcome });
    await messages.updateOne(
      { _id: message._id, status: { $in: ['queued', 'unknown'] } },
      { $set: { status: 'sent', sentAt: at, waMessageId }, $unset: { leaseUntil: 1 } },
    );
    sent += 1;
  }
  return sent;
}

/** Time spent in each wrapped method, and how many calls. */
export type CallTimes = Record<string, { calls: number; totalMs: number }>;

/**
 * Wraps the named async methods of `target` to add their wall time to `times` under
 * `label.method`. A profile by method, with no sampling, good enough to see which
 * database call a loop waits on.
 */
export function timeMethods<T extends object>(
  target: T,
  label: string,
  methods: (keyof T & string)[],
  times: CallTimes,
): void {
  for (const method of methods) {
    const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
    const key = `${label}.${method}`;
    times[key] ??= { calls: 0, totalMs: 0 };
    const slot = times[key];
    (target as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const started = performance.now();
      try {
        return await original.apply(target, args);
      } finally {
        slot.calls += 1;
        slot.totalMs += performance.now() - started;
      }
    };
  }
}

/** The profile as text: per method, calls, total and mean time, largest total first. */
export function describeTimes(times: CallTimes, wallMs: number): string {
  return Object.entries(times)
    .filter(([, t]) => t.calls > 0)
    .sort(([, a], [, b]) => b.totalMs - a.totalMs)
    .map(([name, t]) => {
      const share = ((100 * t.totalMs) / wallMs).toFixed(0);
      const mean = (t.totalMs / t.calls).toFixed(1);
      return `${name}: ${t.calls} calls, ${mean} ms each, ${share}% of the wall time`;
    })
    .join('; ');
}

/** What one query costs per stored document on this server, and whether it used an index. */
export interface ServerProbe {
  documents: number;
  /** A findOne on `status` and `priority` that matches nothing, per stored document, in µs. */
  scanMicrosPerDoc: number;
  /** An updateOne by `_id`, per stored document, in µs. */
  updateByIdMicrosPerDoc: number;
  /** The server's explain for the first query. */
  plan: string;
}

/**
 * Stores `documents` campaign messages in a fresh database and times a query that
 * matches nothing and an update by `_id`: on a server that uses the indexes both cost
 * about the same at any size; on one that scans, they grow with the collection.
 */
export async function probeServer(store: Store, documents = 5_000): Promise<ServerProbe> {
  const collection = store.messages.model.collection;
  const campaign = new Types.ObjectId();
  const docs = Array.from({ length: documents }, (_, i) =>
    store.messages.toDocument({
      kind: 'campaign',
      dedupeKey: `probe:${i}`,
      campaignId: campaign,
      to: `+1201555${String(i % 10_000).padStart(4, '0')}`,
      content: 'probe',
      notBefore: new Date(),
    }),
  );
  for (let start = 0; start < documents; start += 1000) {
    await collection.insertMany(docs.slice(start, start + 1000), { ordered: false });
  }
  const nothing = { status: 'pending', priority: 0 };
  const rounds = 5;
  const scanStarted = performance.now();
  for (let i = 0; i < rounds; i++) await collection.findOne(nothing);
  const scanMs = (performance.now() - scanStarted) / rounds;
  const updateStarted = performance.now();
  for (let i = 0; i < rounds; i++) {
    await collection.updateOne({ _id: docs[documents - 1 - i]!._id }, { $set: { lastError: 'x' } });
  }
  const updateMs = (performance.now() - updateStarted) / rounds;
  const explained = (await collection.find(nothing).explain()) as Record<string, unknown>;
  const plan = JSON.stringify(explained.queryPlanner ?? {});
  const flag = explained.filterPushdown;
  const pushdown = flag === undefined ? '' : `, filterPushdown ${String(flag)}`;
  return {
    documents,
    scanMicrosPerDoc: (scanMs * 1000) / documents,
    updateByIdMicrosPerDoc: (updateMs * 1000) / documents,
    plan: `${plan}${pushdown}`,
  };
}
