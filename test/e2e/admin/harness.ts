import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createAdminBot, type AdminBot, type AdminBotOptions } from '../../../src/admin/bot.js';
import type { AdminDeps, TransportView } from '../../../src/admin/context.js';
import { parseConfig, type Config } from '../../../src/config.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger, type Logger } from '../../../src/log.js';
import type { TransportState } from '../../../src/transport/port.js';
import { useTestStore } from '../../support/db.js';
import { FakeTelegram, type FakeUser } from '../../support/fake-telegram.js';

export const ADMIN: FakeUser = { id: 1001, first_name: 'Ada', username: 'ada' };
export const OTHER_ADMIN: FakeUser = { id: 1002, first_name: 'Grace' };
export const STRANGER: FakeUser = { id: 6666, first_name: 'Eve', username: 'eve' };

/** Settings every admin e2e test starts from. */
export function testConfig(tg: FakeTelegram, overrides: Record<string, string> = {}): Config {
  return parseConfig({
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
    ADMIN_TELEGRAM_IDS: `${ADMIN.id},${OTHER_ADMIN.id}`,
    ADMIN_TIMEZONE: 'Europe/Madrid',
    DEFAULT_COUNTRY: 'ES',
    WA_TRANSPORT: 'simulated',
    ...overrides,
  });
}

/** A transport view whose state a test sets. */
export class TestTransport extends EventEmitter implements TransportView {
  readonly name = 'simulated';
  state: TransportState = 'ready';
  lastQr?: string;
}

/** Fast polling so tests do not wait on backoff. */
export const FAST_POLLING: AdminBotOptions = {
  polling: { timeoutSeconds: 1, minBackoffMs: 50, maxBackoffMs: 400 },
  progressIntervalMs: 200,
};

/** What {@link useAdminBot} gives a test file. */
export interface AdminBotHarness {
  readonly tg: FakeTelegram;
  readonly admin: AdminBot;
  readonly events: AppEvents;
  readonly transport: TestTransport;
  readonly deps: AdminDeps;
  readonly store: AdminDeps['store'];
}

/** What a test file adds to the bot: more deps, and how to stop what it started. */
export interface HarnessSetup {
  deps?: Partial<AdminDeps>;
  stop?: () => Promise<void>;
}

/**
 * A test file's own database, fake Telegram server and running admin bot, stopped
 * after the file. `setup` adds or replaces deps (campaigns, sequences, dispatcher).
 */
export function useAdminBot(
  label: string,
  setup: (
    h: Omit<AdminBotHarness, 'admin' | 'deps'>,
  ) => Promise<HarnessSetup> | HarnessSetup = () => ({}),
  configOverrides: Record<string, string> = {},
): AdminBotHarness {
  const db = useTestStore(label);
  const state = {} as {
    tg: FakeTelegram;
    admin: AdminBot;
    events: AppEvents;
    transport: TestTransport;
    deps: AdminDeps;
    stop?: () => Promise<void>;
  };

  beforeAll(async () => {
    state.tg = await FakeTelegram.start();
    state.events = new AppEvents();
    state.transport = new TestTransport();
    const base = {
      tg: state.tg,
      events: state.events,
      transport: state.transport,
      store: db.store,
    };
    const extra = await setup(base);
    state.stop = extra.stop;
    state.deps = {
      config: testConfig(state.tg, configOverrides),
      store: db.store,
      events: state.events,
      log: silentLogger,
      transport: state.transport,
      ...extra.deps,
    };
    state.admin = createAdminBot(state.deps, FAST_POLLING);
    await state.admin.start();
  });

  afterAll(async () => {
    await state.admin?.stop();
    await state.stop?.();
    await state.tg?.stop();
  });

  return {
    get tg() {
      return state.tg;
    },
    get admin() {
      return state.admin;
    },
    get events() {
      return state.events;
    },
    get transport() {
      return state.transport;
    },
    get deps() {
      return state.deps;
    },
    get store() {
      return db.store;
    },
  };
}

/** Counts of every collection and the audit log, to show that nothing was written. */
export async function collectionCounts(store: AdminDeps['store']): Promise<Record<string, number>> {
  const names = (await store.connection.db!.listCollections().toArray()).map((c) => c.name).sort();
  const counts: Record<string, number> = {};
  for (const name of names)
    counts[name] = await store.connection.db!.collection(name).countDocuments();
  return counts;
}

/** A logger that keeps every line it writes, parsed, for tests that read logs. */
export function captureLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}
