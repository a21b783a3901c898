import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import { maskPhone } from '../src/domain/phone.js';
import { connectDatabase } from '../src/store/db.js';
import { freePort } from '../src/store/embedded-server.js';
import { createStore, ensureIndexes, type Store } from '../src/store/index.js';
import type { BroadcastMessage } from '../src/store/messages.js';
import type { OutboxLine } from '../src/transport/simulated.js';
import { FakeTelegram, type FakeUser } from '../test/support/fake-telegram.js';
import { insertLeads, seededRandom, sleep } from './support.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ADMIN: FakeUser = { id: 5150, first_name: 'Soak' };
const UP_LINE = 'http server listening';

/** What a soak run is asked to do. */
export interface SoakOptions {
  /** The database server (no database name); the soak makes and drops its own database. */
  uri: string;
  messages: number;
  kills: number;
  seed: number;
  /** Longest a restart may take to send again, from the process being up (default 5,000). */
  resumeLimitMs?: number;
  /** Longest the whole run may take before it gives up, in ms (default 60 minutes). */
  timeoutMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** One life of the bot process, from its start to its SIGKILL (or the final stop). */
export interface ProcessLife {
  /** From spawn to the `http server listening` log line, in ms. */
  startupMs: number;
  /** From that line to the first new outbox line, in ms; null when none came before the kill. */
  resumeMs: number | null;
  /** From being up to the kill (or the final stop), in ms. */
  upToEndMs: number;
  /** Outbox lines when it was killed (or stopped). */
  linesAtEnd: number;
  killed: boolean;
  /** It exited before the soak killed or stopped it. */
  crashed: boolean;
}

/** What the soak found when it joined the outbox and the database. */
export interface SoakReport {
  seed: number;
  messages: number;
  lives: ProcessLife[];
  outboxLines: number;
  statuses: Record<string, number>;
  /** Messages neither sent (with an outbox line), failed with a reason, nor unknown in /review. */
  lost: string[];
  /** Numbers (masked) that got more than one outbox line. */
  doubled: string[];
  /** Messages recorded sent with no outbox line, or lines whose message is not sent. */
  mismatched: string[];
  /** Restarts that sent nothing within the limit while work was left. */
  slowResumes: string[];
  unknownInReview: number;
  /** What recovery settled after the kills, summed from the bot's log. */
  settledInDoubt: { confirmedSent: number; requeued: number; unknown: number };
  elapsedMs: number;
  ok: boolean;
}

/** The bot's environment for the soak: simulated WhatsApp, no gaps, no caps, always open. */
function botEnv(vars: {
  uri: string;
  outbox: string;
  dataDir: string;
  tg: FakeTelegram;
  httpPort: number;
  simulatedPort: number;
}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    MONGODB_URI: vars.uri,
    WA_TRANSPORT: 'simulated',
    SIMULATED_OUTBOX: vars.outbox,
    SIMULATED_PORT: String(vars.simulatedPort),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(vars.httpPort),
    TELEGRAM_BOT_TOKEN: vars.tg.token,
    TELEGRAM_API_ROOT: vars.tg.apiRoot,
    ADMIN_TELEGRAM_IDS: String(ADMIN.id),
    MIN_DELAY_FLOOR_SECONDS: '0',
    DEFAULT_MIN_DELAY_SECONDS: '0',
    DEFAULT_MAX_DELAY_SECONDS: '0',
    SEND_WINDOW: '00:00-24:00',
    HOURLY_CAP: '10000000',
    DAILY_CAP: '10000000',
    DATA_DIR: vars.dataDir,
    LOG_LEVEL: 'info',
  };
}

/** `uri` with `dbName` as its database. */
function withDatabase(uri: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?[^?]*(\?.*)?$/.exec(uri);
  if (!match) throw new Error(`not a MongoDB address: ${uri}`);
  return `${match[1]}/${dbName}${match[2] ?? ''}`;
}

/** The outbox so far (a line cut by a kill is skipped: it was never acknowledged). */
function readOutbox(path: string): OutboxLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as OutboxLine];
      } catch {
        return [];
      }
    });
}

/** `npm start` in its own process group, so one SIGKILL ends npm, tsx and the bot together. */
class BotProcess {
  readonly child: ChildProcess;
  readonly spawnedAt = Date.now();
  upAt: number | null = null;
  private buffered = '';
  private readonly exited: Promise<unknown>;

  constructor(env: Record<string, string>, logPath: string) {
    this.child = spawn('npm', ['start', '--silent'], {
      cwd: REPO,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const file = createWriteStream(logPath, { flags: 'a' });
    const onData = (chunk: Buffer) => {
      file.write(chunk);
      this.watchForUp(chunk.toString());
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = once(this.child, 'exit').finally(() => file.end());
  }

  /** Notes when the app logs that it is up, by the time in that log line. */
  private watchForUp(text: string): void {
    if (this.upAt !== null) return;
    this.buffered = (this.buffered + text).slice(-20_000);
    const line = this.buffered.split('\n').find((l) => l.includes(UP_LINE));
    if (!line) return;
    const time = /"time":(\d+)/.exec(line)?.[1];
    this.upAt = time ? Number(time) : Date.now();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGKILL to the whole process group, as an OOM kill or a power cut would. */
  async kill(): Promise<void> {
    this.killGroup();
    await this.exited;
  }

  private killGroup(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // Every process of the group has exited already.
    }
  }

  /** SIGTERM, then SIGKILL to the group after `graceMs`. */
  async stop(graceMs = 12_000): Promise<void> {
    if (!this.running) return;
    process.kill(-this.child.pid!, 'SIGTERM');
    const force = () => this.running && process.kill(-this.child.pid!, 'SIGKILL');
    const timer = setTimeout(force, graceMs);
    await this.exited;
    clearTimeout(timer);
    // Nothing of the group may outlive the soak.
    this.killGroup();
  }
}

/** Everything a soak run holds, so one place can clean it up. */
interface SoakRig {
  store: Store;
  close(): Promise<void>;
  tg: FakeTelegram;
  workDir: string;
  outbox: string;
  logPath: string;
  env: Record<string, string>;
  campaignId: string;
}

async function setUp(options: SoakOptions): Promise<SoakRig> {
  const dbName = `soak_${options.seed}_${Date.now().toString(36)}`;
  const uri = withDatabase(options.uri, dbName);
  const connection = await connectDatabase(uri, { dbName });
  const store = createStore(connection);
  await ensureIndexes(store);
  await insertLeads(store, options.messages);
  const campaign = await store.campaigns.create({
    title: 'Soak',
    message: 'Hello {{first_name|there}}, our soak-test offer.',
    scheduledAt: new Date(),
    target: { status: 'all' },
    minDelaySeconds: 0,
    maxDelaySeconds: 0,
    status: 'scheduled',
  });

  const tg = await FakeTelegram.start();
  const workDir = mkdtempSync(join(tmpdir(), 'cadence-soak-'));
  const outbox = join(workDir, 'outbox.jsonl');
  const [httpPort, simulatedPort] = [await freePort(), await freePort()];
  const env = botEnv({ uri, outbox, dataDir: join(workDir, 'data'), tg, httpPort, simulatedPort });
  return {
    store,
    close: async () => {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
    tg,
    workDir,
    outbox,
    logPath: join(workDir, 'bot.log'),
    env,
    campaignId: campaign._id.toHexString(),
  };
}

/** A kill after the outbox reaches `line`, `jitterMs` later (so it lands anywhere in a send). */
interface ProgressKill {
  line: number;
  jitterMs: number;
}

/** Longest jitter after the target line: about one send on FerretDB with a few thousand stored. */
const MAX_JITTER_MS = 300;

/** Where each kill lands: the first at a random moment of the start-up, the rest by progress. */
function killPlan(options: SoakOptions): { firstDelayMs: number; later: ProgressKill[] } {
  const random = seededRandom(options.seed);
  const firstDelayMs = Math.floor(random() * 3_000);
  const lines = new Set<number>();
  while (lines.size < options.kills - 1) {
    lines.add(1 + Math.floor(random() * Math.floor(options.messages * 0.95)));
  }
  const later = [...lines]
    .sort((a, b) => a - b)
    .map((line) => ({ line, jitterMs: Math.floor(random() * MAX_JITTER_MS) }));
  return { firstDelayMs, later };
}

/** True once the outbox has reached the kill's line and its jitter has passed. */
function progressReached(kill: ProgressKill): (bot: BotProcess, lines: number) => boolean {
  let reachedAt: number | undefined;
  return (_, lines) => {
    if (lines >= kill.line) reachedAt ??= Date.now();
    return reachedAt !== undefined && Date.now() - reachedAt >= kill.jitterMs;
  };
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** Runs one life until `killWhen` says so (then SIGKILL); returns what it did. */
async function live(
  rig: SoakRig,
  killWhen: (bot: BotProcess, lines: number) => boolean,
  timeoutMs: number,
): Promise<ProcessLife> {
  const linesBefore = readOutbox(rig.outbox).length;
  const bot = new BotProcess(rig.env, rig.logPath);
  const up = await waitUntil(() => bot.upAt !== null || !bot.running, 90_000);
  if (!up || bot.upAt === null) {
    await bot.kill();
    throw new Error(`the bot did not start; see ${rig.logPath}`);
  }

  let firstNew: OutboxLine | undefined;
  let lines = linesBefore;
  await waitUntil(() => {
    const outbox = readOutbox(rig.outbox);
    lines = outbox.length;
    firstNew ??= outbox[linesBefore];
    return killWhen(bot, lines) || !bot.running;
  }, timeoutMs);
  const endedAt = Date.now();
  const crashed = !bot.running;
  await bot.kill();
  return {
    startupMs: bot.upAt - bot.spawnedAt,
    resumeMs: firstNew ? Math.max(0, Date.parse(firstNew.at) - bot.upAt) : null,
    upToEndMs: endedAt - bot.upAt,
    linesAtEnd: readOutbox(rig.outbox).length,
    killed: !crashed,
    crashed,
  };
}

/** The campaign's messages not yet settled (pending or queued). */
async function unsettled(store: Store, campaignId: string): Promise<number> {
  const counts = await store.messages.countByStatus({ campaignId: new Types.ObjectId(campaignId) });
  return (counts.pending ?? 0) + (counts.queued ?? 0);
}

/** The last life: runs until nothing is pending or queued, then asks /review and stops. */
async function finish(rig: SoakRig, options: SoakOptions, deadline: number) {
  const bot = new BotProcess(rig.env, rig.logPath);
  const linesBefore = readOutbox(rig.outbox).length;
  await waitUntil(() => bot.upAt !== null || !bot.running, 90_000);
  const upAt = bot.upAt ?? Date.now();
  const settled = async () => (await unsettled(rig.store, rig.campaignId)) === 0;
  await waitUntil(settled, deadline - Date.now(), 500);
  const firstNew = readOutbox(rig.outbox)[linesBefore];

  const unknown = await rig.store.messages.model
    .find({ status: 'unknown' })
    .lean<BroadcastMessage[]>();
  let inReview = 0;
  if (unknown.length) {
    const after = rig.tg.mark();
    rig.tg.sendText(ADMIN, '/review');
    await sleep(3_000);
    const shown = rig.tg.messages(ADMIN.id).filter((m) => m.messageId > after).map((m) => m.text);
    inReview = unknown.filter((m) => shown.some((text) => text.includes(m.to))).length;
  }
  const endedAt = Date.now();
  const crashed = !bot.running;
  await bot.stop();
  options.log?.(`final life: ${readOutbox(rig.outbox).length} outbox lines`);
  const life: ProcessLife = {
    startupMs: upAt - bot.spawnedAt,
    resumeMs: firstNew ? Math.max(0, Date.parse(firstNew.at) - upAt) : null,
    upToEndMs: endedAt - upAt,
    linesAtEnd: readOutbox(rig.outbox).length,
    killed: false,
    crashed,
  };
  return { life, unknown, inReview };
}

/** Joins the outbox and the database: what was lost, doubled or recorded wrongly. */
async function joinOutboxAndDatabase(rig: SoakRig, unknownInReview: Set<string>) {
  const lines = readOutbox(rig.outbox);
  const byNumber = new Map<string, OutboxLine[]>();
  for (const line of lines) byNumber.set(line.to, [...(byNumber.get(line.to) ?? []), line]);
  const messages = await rig.store.messages.model
    .find({ campaignId: new Types.ObjectId(rig.campaignId) })
    .lean<BroadcastMessage[]>();

  const statuses: Record<string, number> = {};
  const lost: string[] = [];
  const mismatched: string[] = [];
  for (const message of messages) {
    statuses[message.status] = (statuses[message.status] ?? 0) + 1;
    const sentLines = byNumber.get(message.to) ?? [];
    const id = String(message._id);
    if (message.status === 'sent') {
      if (!sentLines.some((line) => line.id === message.waMessageId)) mismatched.push(id);
    } else if (message.status === 'failed') {
      if (!message.lastError) lost.push(id);
    } else if (message.status === 'unknown') {
      if (!unknownInReview.has(id)) lost.push(id);
    } else {
      lost.push(id);
    }
    if (sentLines.length && message.status !== 'sent' && message.status !== 'unknown') {
      mismatched.push(id);
    }
  }
  const doubled = [...byNumber.entries()]
    .filter(([, sent]) => sent.length > 1)
    .map(([to]) => maskPhone(to));
  return { lines, messages, statuses, lost, mismatched, doubled };
}

/** Sums the bot's `settled messages left in doubt` log lines: what the kills cut mid-send. */
function settledInDoubt(logPath: string): SoakReport['settledInDoubt'] {
  const total = { confirmedSent: 0, requeued: 0, unknown: 0 };
  if (!existsSync(logPath)) return total;
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (!line.includes('settled messages left in doubt')) continue;
    try {
      const fields = JSON.parse(line) as Partial<typeof total>;
      total.confirmedSent += fields.confirmedSent ?? 0;
      total.requeued += fields.requeued ?? 0;
      total.unknown += fields.unknown ?? 0;
    } catch {
      // A line cut by a kill.
    }
  }
  return total;
}

/**
 * Restarts that left work waiting too long: no new outbox line within `limitMs` of being
 * up while the previous life had not sent everything. A life killed before `limitMs`
 * without a new line cannot be judged and is not counted.
 */
function findSlowResumes(lives: ProcessLife[], messages: number, limitMs: number): string[] {
  return lives.slice(1).flatMap((life, i) => {
    const workLeft = lives[i]!.linesAtEnd < messages;
    const slow =
      life.resumeMs === null ? life.upToEndMs > limitMs : life.resumeMs > limitMs;
    const what = `restart ${i + 1}: ${life.resumeMs ?? 'nothing sent'} ms after up`;
    return workLeft && slow ? [what] : [];
  });
}

/**
 * The crash soak: a campaign of `messages` leads with zero gaps while the bot process
 * (`npm start`, simulated WhatsApp, fake Telegram) is SIGKILLed `kills` times at
 * seeded random moments and started again each time; then the outbox and the database
 * are joined. Every process it starts listens on 127.0.0.1 and is stopped here.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 60 * 60_000);
  const resumeLimitMs = options.resumeLimitMs ?? 5_000;
  const rig = await setUp(options);
  const plan = killPlan(options);
  const lives: ProcessLife[] = [];
  try {
    const first = await live(rig, (bot) => Date.now() - bot.upAt! >= plan.firstDelayMs, 60_000);
    lives.push(first);
    options.log?.(`kill 1 at ${plan.firstDelayMs} ms after up: ${first.linesAtEnd} lines`);
    for (const [i, kill] of plan.later.entries()) {
      const life = await live(rig, progressReached(kill), deadline - Date.now());
      lives.push(life);
      options.log?.(`kill ${i + 2} at ${life.linesAtEnd} lines (resumed in ${life.resumeMs} ms)`);
    }
    const end = await finish(rig, options, deadline);
    lives.push(end.life);
    const inReview = new Set(end.unknown.slice(0, end.inReview).map((m) => String(m._id)));
    const joined = await joinOutboxAndDatabase(rig, inReview);
    const slowResumes = findSlowResumes(lives, options.messages, resumeLimitMs);
    const report: SoakReport = {
      seed: options.seed,
      messages: options.messages,
      lives,
      outboxLines: joined.lines.length,
      statuses: joined.statuses,
      lost: joined.lost,
      doubled: joined.doubled,
      mismatched: joined.mismatched,
      slowResumes,
      unknownInReview: end.inReview,
      settledInDoubt: settledInDoubt(rig.logPath),
      elapsedMs: Date.now() - started,
      ok: false,
    };
    report.ok =
      joined.messages.length === options.messages &&
      report.lost.length === 0 &&
      report.doubled.length === 0 &&
      report.mismatched.length === 0 &&
      report.slowResumes.length === 0 &&
      lives.every((life) => !life.crashed);
    return report;
  } finally {
    await rig.tg.stop();
    await rig.close();
    if (process.env.SOAK_KEEP_FILES) options.log?.(`files kept in ${rig.workDir}`);
    else rmSync(rig.workDir, { recursive: true, force: true });
  }
}
