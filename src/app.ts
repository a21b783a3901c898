import { join } from 'node:path';
import type { Config } from './config.js';
import { createAdminBot, type AdminBot } from './admin/bot.js';
import { CampaignService, campaignRulesFrom } from './campaigns/index.js';
import { Dispatcher, dispatcherSettingsFrom } from './dispatch/index.js';
import { systemClock, type Clock } from './domain/time.js';
import { AppEvents } from './events.js';
import { checkHealth } from './http/health.js';
import { createMetrics } from './http/metrics.js';
import { startHttpServer, type HttpHandle } from './http/server.js';
import { InboundHandler } from './inbound/handler.js';
import { createAgenda, type Agenda } from './jobs/agenda.js';
import { agendaCampaignScheduler, defineCampaignJobs } from './jobs/campaign-jobs.js';
import { SequenceJobs } from './jobs/sequence-jobs.js';
import type { Logger } from './log.js';
import { SequenceService } from './sequences/service.js';
import { SequenceTick } from './sequences/tick.js';
import { connectDatabase, type Connection } from './store/db.js';
import { startEmbeddedServer, type EmbeddedServer } from './store/embedded-server.js';
import { createStore, ensureIndexes, type Store } from './store/index.js';
import { createTransport, type Transport } from './transport/index.js';

/** Connections being closed on purpose: their `disconnected` is not a loss. */
const closing = new WeakSet<Connection>();

/** Longest the dispatcher waits for the send in flight when stopping, in ms. */
const STOP_SEND_WAIT_MS = 5000;

/** Parts a test may hand in instead of the configured ones. */
export interface AppOverrides {
  clock?: Clock;
  transport?: Transport;
}

/** The running bot: every part, and one way to stop them all. */
export interface App {
  store: Store;
  transport: Transport;
  dispatcher: Dispatcher;
  campaigns: CampaignService;
  sequences: SequenceService;
  events: AppEvents;
  http: HttpHandle;
  stop(): Promise<void>;
}

/** Stops one started part; run in reverse order of starting. */
type Undo = () => Promise<void>;

/**
 * Starts Cadence: the database (or an embedded one), the store and its indexes, the
 * HTTP server (first, so a port in use stops the start before anything sends), Agenda
 * with the campaign and sequence jobs, the transport, the dispatcher (after settling
 * what a previous run left in doubt) and the admin bot. Logs one line per part.
 * Telegram and WhatsApp failures never stop the rest: the bot retries in the
 * background and the dispatcher waits for the transport. When a part fails to start,
 * the parts already started are stopped before the error is thrown.
 */
export async function startApp(
  config: Config,
  log: Logger,
  overrides: AppOverrides = {},
): Promise<App> {
  const started: Undo[] = [];
  try {
    const app = await assemble(config, log, overrides, started);
    return { ...app, stop: () => unwind(started, log) };
  } catch (error) {
    await unwind(started, log);
    throw error;
  }
}

async function assemble(
  config: Config,
  log: Logger,
  overrides: AppOverrides,
  started: Undo[],
): Promise<Omit<App, 'stop'>> {
  const clock = overrides.clock ?? systemClock;
  const events = new AppEvents();
  const { connection, embedded } = await openDatabase(config, log);
  if (embedded) started.push(() => embedded.stop());
  started.push(() => closeConnection(connection));
  const store = createStore(connection);
  await ensureIndexes(store);
  log.info({ collections: Object.keys(connection.models).length }, 'database ready');

  const transport = overrides.transport ?? createTransport(config, log);
  const parts = wireParts({ config, log, clock, events, store, transport });
  const { agenda, dispatcher, campaigns, sequences, inbound } = parts;
  // Agenda's backend starts its set-up on construction; let it finish before a failed
  // start closes the connection under it.
  const agendaReady = new Promise<void>((resolve) => agenda.once('ready', () => resolve()));
  started.push(() => withTimeout(agendaReady, 5000));
  const http = await startHttp(config, log, { store, transport, dispatcher, agenda, clock });
  started.push(() => http.close());

  agenda.on('error', (error: Error) => log.warn({ err: error.message }, 'job scheduler error'));
  await defineCampaignJobs(agenda, campaigns, log);
  await parts.sequenceJobs.schedule();
  await agenda.start();
  started.push(() => stopAgenda(agenda, log));
  http.jobsStartedAt = new Date();
  log.info('jobs started');

  transport.on('qr', (qr) => events.emit('wa-qr', qr));
  transport.on('state', (state, reason) => events.emit('wa-state', state, reason));
  inbound.listen(transport);
  campaigns.listenForAcks(transport);
  started.push(() => stopTransport(transport, log));
  startTransport(transport, log);
  await dispatcher.start();
  started.push(() => dispatcher.stop());
  startMissedCampaigns(campaigns, log);

  const services = { transport, campaigns, sequences, dispatcher };
  const admin = createAdminBot({ config, store, events, log, clock, ...services });
  http.mount(admin.webhook);
  await admin.start();
  started.push(() => admin.stop());
  log.info({ mode: config.WEBHOOK_URL ? 'webhook' : 'long polling' }, 'admin bot started');

  return { store, transport, dispatcher, campaigns, sequences, events, http: http.handle };
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return Promise.race([promise, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

/** Runs the undo steps newest first; a failing step is logged and the rest still run. */
async function unwind(started: Undo[], log: Logger): Promise<void> {
  for (const undo of started.splice(0).reverse()) {
    await undo().catch((error: Error) => log.warn({ err: error }, 'a part did not stop cleanly'));
  }
}

interface HttpParts {
  store: Store;
  transport: Transport;
  dispatcher: Dispatcher;
  agenda: Agenda;
  clock: Clock;
}

/**
 * Binds /healthz and /metrics before the rest starts: a port in use fails the start
 * at once. Health reads 503 "jobs: not started yet" until Agenda runs; the admin
 * bot's webhook handler is mounted once the bot exists.
 */
async function startHttp(config: Config, log: Logger, parts: HttpParts) {
  const { store, transport, dispatcher, agenda, clock } = parts;
  const metrics = createMetrics({ store, dispatcher, transport, clock, log });
  const state: { jobsStartedAt?: Date; webhook?: AdminBot['webhook'] } = {};
  const handle = await startHttpServer({
    host: config.HTTP_HOST,
    port: config.HTTP_PORT,
    log,
    health: () => checkHealth({ connection: store.connection, transport, agenda, ...state }),
    metrics: () => metrics.render(),
    extra: (request, response) => state.webhook?.handle(request, response) ?? false,
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    throw new Error(
      `${config.HTTP_HOST}:${config.HTTP_PORT} is already in use (another Cadence running?); ` +
        'stop it or set HTTP_PORT',
    );
  });
  log.info({ host: config.HTTP_HOST, port: handle.port }, 'http server listening');
  return {
    handle,
    close: () => handle.close(),
    mount: (webhook: AdminBot['webhook']) => (state.webhook = webhook),
    set jobsStartedAt(at: Date) {
      state.jobsStartedAt = at;
    },
  };
}

interface WireInput {
  config: Config;
  log: Logger;
  clock: Clock;
  events: AppEvents;
  store: Store;
  transport: Transport;
}

/**
 * Builds the dispatcher, Agenda, the campaign and sequence services and the inbound
 * handler, each producer waking the dispatcher when it creates messages. Starts nothing.
 */
function wireParts({ config, log, clock, events, store, transport }: WireInput) {
  const settings = dispatcherSettingsFrom(config);
  settings.stopTimeoutMs = Math.min(settings.stopTimeoutMs, STOP_SEND_WAIT_MS);
  const dispatcher = new Dispatcher({ store, transport, events, log, clock, settings });
  const wake = () => dispatcher.wake();

  const agenda = createAgenda(store.connection, { name: settings.ownerId, processEveryMs: 2000 });
  const timing = { defaultTimeZone: config.ADMIN_TIMEZONE, sendWindow: config.SEND_WINDOW };
  const tick = new SequenceTick({ store, log, timing, clock, onMessagesCreated: wake });
  const sequenceJobs = new SequenceJobs(agenda, tick, log);
  const onEnrolled = () => sequenceJobs.runSoon();
  const sequences = new SequenceService({ store, log, timing, clock, onEnrolled });
  const rules = campaignRulesFrom(config);
  const scheduler = agendaCampaignScheduler(agenda);
  const campaigns = new CampaignService({ store, events, log, clock, rules, scheduler, wake });
  const inbound = new InboundHandler({
    store,
    sequences,
    events,
    log,
    clock,
    stopWords: config.STOP_WORDS,
    hotKeywords: config.HOT_KEYWORDS,
    onMessagesCreated: wake,
  });
  return { dispatcher, agenda, sequenceJobs, sequences, campaigns, inbound };
}

/** Connects to MONGODB_URI, or starts an embedded server under DATA_DIR and warns. */
async function openDatabase(
  config: Config,
  log: Logger,
): Promise<{ connection: Connection; embedded?: EmbeddedServer }> {
  if (config.MONGODB_URI) return { connection: await connectWithRetry(config.MONGODB_URI, log) };

  const dataDir = join(config.DATA_DIR, 'db');
  const embedded = await startEmbeddedServer({ dataDir });
  log.warn(
    { kind: embedded.kind, dataDir },
    'MONGODB_URI is not set: using an embedded database kept in DATA_DIR; ' +
      'set MONGODB_URI for production',
  );
  return { connection: await connectWithRetry(embedded.uri, log, 'cadence'), embedded };
}

/**
 * Connects, retrying with backoff (1 s doubling to 30 s) while the server does not
 * answer, so a bot started before its database waits instead of exiting. Later drops
 * are handled by the driver, which reconnects on its own.
 */
async function connectWithRetry(uri: string, log: Logger, dbName?: string): Promise<Connection> {
  for (let delayMs = 1000; ; delayMs = Math.min(delayMs * 2, 30_000)) {
    try {
      const connection = await connectDatabase(uri, { dbName });
      let lost = false;
      connection.on('disconnected', () => {
        if (closing.has(connection)) return;
        lost = true;
        log.warn('database connection lost; waiting for it to come back');
      });
      connection.on('connected', () => {
        if (lost) log.info('database connection back');
        lost = false;
      });
      connection.on('error', (error: Error) => log.warn({ err: error.message }, 'database error'));
      return connection;
    } catch (error) {
      log.warn({ err: (error as Error).message, retryInMs: delayMs }, 'database not reachable');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * Starts, in the background, campaigns whose time passed while the bot was down,
 * rather than waiting for the watcher's next run (a crashed run may hold its lock).
 * Each start is guarded in the database, so racing the watcher is harmless.
 */
function startMissedCampaigns(campaigns: CampaignService, log: Logger): void {
  campaigns
    .startMissed()
    .then((started) => started && log.info({ started }, 'started campaigns missed while down'))
    .catch((error: Error) => log.warn({ err: error }, 'could not start missed campaigns yet'));
}

/** Starts the transport in the background: a WhatsApp login may wait on a person. */
function startTransport(transport: Transport, log: Logger): void {
  transport
    .start()
    .then(() =>
      log.info({ transport: transport.name, state: transport.state }, 'transport started'),
    )
    .catch((error: Error) =>
      log.error(
        { err: error, transport: transport.name },
        'transport failed to start; sending waits',
      ),
    );
}

async function stopTransport(transport: Transport, log: Logger): Promise<void> {
  await transport.stop().catch((error: Error) => log.warn({ err: error }, 'transport stop failed'));
}

/** Closes the connection, first marking the close as wanted so it is not logged as lost. */
async function closeConnection(connection: Connection): Promise<void> {
  closing.add(connection);
  await connection.close();
}

async function stopAgenda(agenda: Agenda, log: Logger): Promise<void> {
  try {
    await agenda.drain(2000);
  } catch (error) {
    log.warn({ err: error }, 'jobs did not drain in time');
  }
  await agenda.stop();
}
