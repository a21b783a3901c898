import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Dispatcher } from '../dispatch/index.js';
import type { Clock } from '../domain/time.js';
import type { Store } from '../store/index.js';
import type { Transport } from '../transport/port.js';
import type { Logger } from '../log.js';
import { MESSAGE_STATUSES } from '../domain/status.js';

/** What the metrics are read from, at each scrape. */
export interface MetricsDeps {
  store: Store;
  dispatcher: Pick<Dispatcher, 'metrics' | 'paused'>;
  transport: Pick<Transport, 'state'>;
  clock: Clock;
  log: Logger;
}

/** Longest a scrape waits on the database, in ms; past it the database figures are left out. */
const DB_METRICS_TIMEOUT_MS = 2000;

/**
 * Prometheus metrics, computed when scraped: messages by status and the due queue
 * (counted in the database, so they are right across processes and restarts), this
 * process's sends, failures, retries and send latency, the transport and pause state,
 * and Node's process metrics.
 */
export function createMetrics(deps: MetricsDeps): {
  render(): Promise<{ contentType: string; body: string }>;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cadence_' });
  const counters = () => deps.dispatcher.metrics();

  new Gauge({
    name: 'cadence_messages',
    help: 'Messages by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await fromDatabase(deps, () => deps.store.messages.countByStatus());
      if (!counts) return;
      for (const status of MESSAGE_STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });
  new Gauge({
    name: 'cadence_queue_depth',
    help: 'Pending messages already due',
    registers: [registry],
    async collect() {
      this.reset();
      const due = await fromDatabase(deps, () =>
        deps.store.messages.model.countDocuments({
          status: 'pending',
          notBefore: { $lte: deps.clock.now() },
        }),
      );
      if (due !== undefined) this.set(due);
    },
  });
  counterFrom(registry, 'cadence_sends_total', 'Messages WhatsApp accepted', () => counters().sent);
  counterFrom(
    registry,
    'cadence_send_failures_total',
    'Messages failed for good',
    () => counters().failed,
  );
  counterFrom(
    registry,
    'cadence_send_retries_total',
    'Sends retried after a transient error',
    () => counters().retried,
  );
  counterFrom(
    registry,
    'cadence_send_latency_seconds_sum',
    'Time spent in the transport send, summed',
    () => counters().sendLatencyMs.sum / 1000,
  );
  counterFrom(
    registry,
    'cadence_send_latency_seconds_count',
    'Sends timed',
    () => counters().sendLatencyMs.count,
  );
  new Gauge({
    name: 'cadence_send_latency_seconds_max',
    help: 'Slowest transport send since start',
    registers: [registry],
    collect() {
      this.set(counters().sendLatencyMs.max / 1000);
    },
  });
  new Gauge({
    name: 'cadence_transport_ready',
    help: '1 when WhatsApp is ready to send',
    registers: [registry],
    collect() {
      this.set(deps.transport.state === 'ready' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cadence_sending_paused',
    help: '1 while sending is paused',
    registers: [registry],
    collect() {
      this.set(deps.dispatcher.paused ? 1 : 0);
    },
  });

  return {
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * A figure read from the database, or undefined (logged) when the database does not
 * answer in time: the process metrics are still worth serving during an outage.
 */
async function fromDatabase<T>(deps: MetricsDeps, read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), DB_METRICS_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read(), timeout]);
  } catch (error) {
    deps.log.warn({ err: (error as Error).message }, 'metrics: database figures left out');
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** A counter whose value is read from `read` at scrape time. */
function counterFrom(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
