import { performance } from 'node:perf_hooks';
import type { Store } from '../../src/store/index.js';
import {
  bareSendLoop,
  BenchTransport,
  createBenchDispatcher,
  describeTimes,
  timeMethods,
  whenSent,
  type CallTimes,
} from '../load.js';
import {
  campaignMessages,
  count,
  createRunningCampaign,
  openBenchStore,
  ratio,
  seconds,
  type BenchContext,
  type Benchmark,
  type BenchResult,
} from '../support.js';

const SPECIFIED_MESSAGES = 10_000;
const TARGET_SHARE = 2 / 3;

/** Messages per run: BENCH_DISPATCH_MESSAGES, else the scale this machine finishes in time. */
export function dispatchMessages(): number {
  return Number(process.env.BENCH_DISPATCH_MESSAGES ?? 1_000);
}

/** A fresh database holding `total` due messages of one running campaign with zero gaps. */
export async function preparedStore(ctx: BenchContext, label: string, total: number) {
  const bench = await openBenchStore(ctx.uri, label);
  const campaign = await createRunningCampaign(bench.store);
  await bench.store.messages.insertMany(campaignMessages(campaign, total));
  return bench;
}

/** Sends every due message with the real dispatcher; returns the wall time and a profile. */
export async function sendWithDispatcher(store: Store, total: number) {
  const transport = new BenchTransport();
  await transport.start();
  const times: CallTimes = {};
  timeMethods(store.messages, 'messages', [
    'claimNext',
    'passFence',
    'recordSent',
    'nextDueAt',
    'releaseExpiredLeases',
    'sentTimesSince',
  ], times);
  timeMethods(store.campaigns, 'campaigns', ['findById'], times);
  timeMethods(transport, 'transport', ['send'], times);

  const dispatcher = createBenchDispatcher({ store, transport });
  const allSent = whenSent(dispatcher, total);
  const started = performance.now();
  await dispatcher.start();
  await allSent;
  const wallMs = performance.now() - started;
  await dispatcher.stop();
  const lines = (await transport.readOutbox()).length;
  await transport.dispose();
  return { wallMs, lines, profile: describeTimes(times, wallMs) };
}

async function sendWithBareLoop(store: Store, total: number) {
  const transport = new BenchTransport();
  await transport.start();
  const started = performance.now();
  const sent = await bareSendLoop(store, transport, total);
  const wallMs = performance.now() - started;
  await transport.dispose();
  return { wallMs, sent };
}

/**
 * What one claim costs when every kind is tried (system, sequence, then campaign) and
 * when only `campaign` is, on a store holding `pending` due campaign messages.
 */
async function isolateClaimCost(ctx: BenchContext, pending: number) {
  const bench = await preparedStore(ctx, 'claim_cost', pending);
  const now = new Date();
  const claims = 10;
  const all = performance.now();
  for (let i = 0; i < claims; i++) await bench.store.messages.claimNext('a', now, 60_000);
  const allMs = (performance.now() - all) / claims;
  const only = performance.now();
  for (let i = 0; i < claims; i++) {
    await bench.store.messages.claimNext('b', now, 60_000, ['campaign']);
  }
  const onlyMs = (performance.now() - only) / claims;
  await bench.close();
  return { allMs, onlyMs };
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const total = dispatchMessages();
  ctx.progress(`dispatch: ${count(total)} messages, bare loop first`);
  const bareBench = await preparedStore(ctx, 'dispatch_bare', total);
  const bare = await sendWithBareLoop(bareBench.store, total);
  await bareBench.close();

  ctx.progress(`dispatch: bare loop ${(bare.wallMs / 1000).toFixed(1)} s; now the dispatcher`);
  const realBench = await preparedStore(ctx, 'dispatch_real', total);
  const real = await sendWithDispatcher(realBench.store, total);
  await realBench.close();

  const claim = await isolateClaimCost(ctx, total);
  const bareRate = bare.sent / (bare.wallMs / 1000);
  const realRate = real.lines / (real.wallMs / 1000);
  const share = realRate / bareRate;
  const met = share >= TARGET_SHARE && real.lines === total && bare.sent === total;
  return {
    name: 'Dispatcher overhead',
    figure: `${realRate.toFixed(1)} msg/s (${count(real.lines)} sent)`,
    baseline: `${bareRate.toFixed(1)} msg/s bare loop`,
    ratio: ratio(share),
    target: '>= 0.67x',
    met,
    scale: total === SPECIFIED_MESSAGES ? undefined : `${count(total)} messages`,
    note: [
      `Dispatcher ${seconds(real.wallMs)}, bare loop ${seconds(bare.wallMs)}`,
      `for ${count(total)} messages. Where the dispatcher's time went: ${real.profile}.`,
      `One claim over ${count(total)} due campaign messages: ${claim.allMs.toFixed(1)} ms trying`,
      `system, sequence then campaign, ${claim.onlyMs.toFixed(1)} ms asking for campaign only.`,
    ].join(' '),
  };
}

/** Benchmark 1: the real dispatcher's throughput against a bare loop of the same database work. */
export const dispatchOverhead: Benchmark = { name: 'dispatch', title: 'Dispatcher overhead', run };
