import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Types } from 'mongoose';
import type { DispatcherSettings } from '../src/dispatch/settings.js';
import { ALWAYS_OPEN } from '../src/domain/send-window.js';
import { connectDatabase, type Connection } from '../src/store/db.js';
import { createStore, ensureIndexes, type Campaign, type Store } from '../src/store/index.js';
import type { NewMessage } from '../src/store/messages.js';
import { startEmbeddedServer, type EmbeddedServer } from '../src/store/embedded-server.js';

/** One line of the results table. */
export interface BenchResult {
  name: string;
  figure: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean;
  /** The scale measured when it differs from the one asked for, e.g. `1,000 messages`. */
  scale?: string;
  /** What limits it, when missed, or anything a reader needs to trust the figure. */
  note?: string;
}

/** What a benchmark is handed. */
export interface BenchContext {
  /** The database server's address (no database name). */
  uri: string;
  /** What the server is: `ferretdb`, `mongod`, `MONGODB_URI`... */
  serverKind: string;
  /** Prints a progress line on stderr (the table goes to stdout). */
  progress(message: string): void;
}

/** One benchmark: a name for `npm run bench -- <name>`, and how to run it. */
export interface Benchmark {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

/** The database the benchmarks run on, chosen like the tests': MONGODB_URI, else a local server. */
export interface BenchServer {
  uri: string;
  kind: string;
  stop(): Promise<void>;
}

/** Opens the server named by MONGODB_URI, or starts a local one in a temporary folder. */
export async function openBenchServer(): Promise<BenchServer> {
  const given = process.env.MONGODB_URI;
  if (given) return { uri: given, kind: 'MONGODB_URI', stop: async () => undefined };
  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-bench-db-'));
  const server: EmbeddedServer = await startEmbeddedServer({ dataDir });
  return {
    uri: server.uri,
    kind: server.kind,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A database of its own on the bench server. */
export interface BenchStore {
  store: Store;
  connection: Connection;
  dbName: string;
  close(): Promise<void>;
}

/** A fresh database with every index; dropped by `close`. */
export async function openBenchStore(uri: string, label: string): Promise<BenchStore> {
  const dbName = `bench_${label.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(3).toString('hex')}`;
  const connection = await connectDatabase(uri, { dbName });
  const store = createStore(connection);
  await ensureIndexes(store);
  return {
    store,
    connection,
    dbName,
    close: async () => {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

/** Dispatcher settings for benchmarks: always open, caps out of the way, zero gaps. */
export function benchDispatcherSettings(
  overrides: Partial<DispatcherSettings> = {},
): DispatcherSettings {
  return {
    ownerId: `bench-${randomBytes(3).toString('hex')}`,
    sendWindow: ALWAYS_OPEN,
    timeZone: 'UTC',
    hourlyCap: 10_000_000,
    dailyCap: 10_000_000,
    defaultMinDelaySeconds: 0,
    defaultMaxDelaySeconds: 0,
    sendTimeoutMs: 10_000,
    maxSendAttempts: 3,
    failurePauseThreshold: 5,
    leaseMs: 60_000,
    retryBaseDelayMs: 1_000,
    maxIdleSleepMs: 1_000,
    sweepIntervalMs: 60_000,
    stopTimeoutMs: 10_000,
    ...overrides,
  };
}

/** A running campaign with the given gaps, for messages inserted straight into the store. */
export async function createRunningCampaign(
  store: Store,
  gapSeconds: [min: number, max: number] = [0, 0],
): Promise<Campaign> {
  return store.campaigns.create({
    title: 'Benchmark',
    message: 'Hello {{first_name|there}}',
    scheduledAt: new Date(),
    target: { status: 'all' },
    minDelaySeconds: gapSeconds[0],
    maxDelaySeconds: gapSeconds[1],
    status: 'running',
  });
}

/** A distinct E.164 number for index `n` (US 201 area, fictional 555 block). */
export function benchPhone(n: number): string {
  return `+1201${String(5_000_000 + n).padStart(7, '0')}`;
}

/** `count` campaign messages, one per fictional lead, due at `notBefore(i)`. */
export function campaignMessages(
  campaign: Campaign,
  count: number,
  notBefore: (i: number) => Date = () => new Date(Date.now() - 1000),
  firstIndex = 0,
): NewMessage[] {
  return Array.from({ length: count }, (_, k) => {
    const i = firstIndex + k;
    const leadId = new Types.ObjectId();
    return {
      kind: 'campaign',
      dedupeKey: `campaign:${campaign._id.toHexString()}:${leadId.toHexString()}`,
      campaignId: campaign._id,
      leadId,
      to: benchPhone(i),
      content: `Hello lead ${i}`,
      notBefore: notBefore(i),
    };
  });
}

/** Inserts `count` leads straight through the driver, in unordered batches of 1000. */
export async function insertLeads(store: Store, count: number, firstIndex = 0): Promise<void> {
  const now = new Date();
  for (let start = 0; start < count; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - start) }, (_, k) => {
      const i = firstIndex + start + k;
      return {
        _id: new Types.ObjectId(),
        phone: benchPhone(i),
        name: `Lead ${i}`,
        status: 'prospect',
        temperature: 'cold',
        tags: [],
        source: 'bench',
        createdAt: now,
        updatedAt: now,
      };
    });
    await store.leads.model.collection.insertMany(batch, { ordered: false });
  }
}

/** Runs `fn` and returns its result with the wall time it took, in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

/** The value below which `p` (0..1) of the sorted samples lie. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

/** Samples resident memory every `everyMs` until stopped; returns the peak in bytes. */
export function sampleRss(everyMs = 50): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const seconds = (valueMs: number) => `${(valueMs / 1000).toFixed(1)} s`;
export const ratio = (value: number) => `${value.toFixed(2)}x`;
export const count = (value: number) => value.toLocaleString('en-US');

/** A seeded random source (mulberry32), so a run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Collects garbage when the process runs with --expose-gc (children of runInChild do). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The benchmark database a child process was handed: BENCH_URI and a database name. */
export async function openChildStore(
  dbName: string,
): Promise<{ store: Store; close(): Promise<void> }> {
  const uri = process.env.BENCH_URI;
  if (!uri) throw new Error('BENCH_URI is not set: run this through bench/run.ts');
  const connection = await connectDatabase(uri, { dbName });
  return { store: createStore(connection), close: () => connection.close() };
}

/** Writes a child's result where {@link runInChild} reads it. */
export function writeChildResult(result: unknown): void {
  const output = process.env.BENCH_OUTPUT;
  if (!output) throw new Error('BENCH_OUTPUT is not set: run this through runInChild');
  writeFileSync(output, JSON.stringify(result));
}

/** Resolves after `delayMs` of real time. */
export function sleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

const TSX_LOADER = 'tsx';
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs a TypeScript file of this folder in a fresh Node process under tsx (so its
 * memory is its own) and returns the JSON it wrote to the file named by BENCH_OUTPUT.
 * Its output is passed through; a non-zero exit rejects.
 */
export async function runInChild<T>(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  // --expose-gc lets a child collect garbage before it takes a memory baseline.
  return runNode<T>(['--expose-gc', '--import', TSX_LOADER, path, ...args], env);
}

/**
 * Compiles the project to JavaScript in a temporary folder (tsc) and runs `script`
 * (a file of this folder) from there with plain `node`, no tsx: what a process costs
 * without compiling TypeScript as it loads. The folder is removed afterwards.
 */
export async function runCompiledChild<T>(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  const outDir = mkdtempSync(join(tmpdir(), 'cadence-bench-js-'));
  try {
    const tsc = join(REPO_ROOT, 'node_modules', '.bin', 'tsc');
    // Type errors elsewhere in the checkout do not stop tsc from writing the files.
    const compiling = ['-p', REPO_ROOT, '--noEmit', 'false', '--outDir', outDir];
    await runProcess(tsc, compiling, {}).catch(() => undefined);
    const path = join(outDir, 'bench', script.replace(/^\.\//, '').replace(/\.ts$/, '.js'));
    if (!existsSync(path)) throw new Error(`tsc did not produce ${path}`);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(outDir, 'node_modules'));
    writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
    return await runNode<T>(['--expose-gc', path, ...args], env);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function runNode<T>(nodeArgs: string[], env: Record<string, string>): Promise<T> {
  const outDir = mkdtempSync(join(tmpdir(), 'cadence-bench-out-'));
  const output = join(outDir, 'result.json');
  try {
    await runProcess(process.execPath, nodeArgs, { ...env, BENCH_OUTPUT: output });
    return JSON.parse(readFileSync(output, 'utf8')) as T;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function runProcess(command: string, args: string[], env: Record<string, string>) {
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}`);
}
