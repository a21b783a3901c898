/**
 * A sending bot in its own process, for crash tests: the store, a simulated transport,
 * the dispatcher, the campaign service and its Agenda jobs, wired as the app wires
 * them. Reads MONGODB_URI, CADENCE_DB, OUTBOX, OWNER_ID and optionally
 * CONFIRM_DELAY_MS from the environment, prints `ready` once running, and stops
 * cleanly on SIGTERM. Run with `node --import tsx test/support/crash-bot.ts`.
 */
import { CampaignService } from '../../src/campaigns/service.js';
import { Dispatcher } from '../../src/dispatch/dispatcher.js';
import { systemClock } from '../../src/domain/time.js';
import { AppEvents } from '../../src/events.js';
import { createAgenda } from '../../src/jobs/agenda.js';
import { agendaCampaignScheduler, defineCampaignJobs } from '../../src/jobs/campaign-jobs.js';
import { createLogger } from '../../src/log.js';
import { connectDatabase } from '../../src/store/db.js';
import { createStore, ensureIndexes } from '../../src/store/index.js';
import { SimulatedTransport } from '../../src/transport/simulated.js';
import { testDispatcherSettings } from './sending.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`crash-bot needs ${name}`);
  return value;
};

const log = createLogger('warn');
const connection = await connectDatabase(env('MONGODB_URI'), { dbName: env('CADENCE_DB') });
const store = createStore(connection);
await ensureIndexes(store);

const events = new AppEvents();
const clock = systemClock;
const transport = new SimulatedTransport({
  outboxPath: env('OUTBOX'),
  ackDelaysMs: false,
  // A slow answer after each outbox write, so a kill right after a write lands mid-send.
  confirmDelayMs: Number(process.env.CONFIRM_DELAY_MS ?? 0),
  log,
});
const dispatcher = new Dispatcher({
  store,
  transport,
  events,
  log,
  clock,
  settings: testDispatcherSettings({ ownerId: env('OWNER_ID'), retryBaseDelayMs: 50 }),
});
const agenda = createAgenda(connection, { processEveryMs: 200, name: env('OWNER_ID') });
const campaigns = new CampaignService({
  store,
  events,
  log,
  clock,
  rules: { minDelayFloorSeconds: 0.01 },
  scheduler: agendaCampaignScheduler(agenda),
  wake: () => dispatcher.wake(),
});

await transport.start();
campaigns.listenForAcks(transport);
await dispatcher.start();
await defineCampaignJobs(agenda, campaigns, log, {
  watchInterval: '1 second',
  watchLockLifetimeMs: 2_000,
});
await agenda.start();
// Boot catch-up: a start whose time passed while the bot was down.
await campaigns.startMissed();
process.stdout.write('ready\n');

process.once('SIGTERM', async () => {
  await dispatcher.stop();
  await agenda.stop();
  await transport.stop();
  await connection.close();
  process.exit(0);
});
