import type { MemoryChildResult } from '../memory-child.js';
import {
  count,
  insertLeads,
  mb,
  openBenchStore,
  ratio,
  runCompiledChild,
  runInChild,
  seconds,
  type BenchContext,
  type Benchmark,
  type BenchResult,
} from '../support.js';

const SMALL = 1_000;
const LARGE = Number(process.env.BENCH_MEMORY_LEADS ?? 100_000);
const SEND_SECONDS = 20;
const MAX_RATIO = 1.3;
const MAX_BYTES = 150 * 1024 * 1024;

/** Seeds `leads` leads and a due campaign, then runs it in a process of its own. */
async function campaignOf(
  ctx: BenchContext,
  leads: number,
  compiled = false,
): Promise<MemoryChildResult> {
  const bench = await openBenchStore(ctx.uri, `memory_${leads}`);
  ctx.progress(`memory: a campaign of ${count(leads)}`);
  await insertLeads(bench.store, leads);
  const campaign = await bench.store.campaigns.create({
    title: 'Memory',
    message: 'Hello {{first_name|there}}, this week only: 20% off.',
    scheduledAt: new Date(Date.now() - 1000),
    target: { status: 'all' },
    minDelaySeconds: 0,
    maxDelaySeconds: 0,
  });
  const args = [bench.dbName, campaign._id.toHexString(), String(SEND_SECONDS)];
  const run = compiled ? runCompiledChild : runInChild;
  const result = await run<MemoryChildResult>('./memory-child.ts', args);
  await bench.close();
  return result;
}

function describe(leads: number, r: MemoryChildResult): string {
  return [
    `${count(leads)} leads: RSS ${mb(r.rssBeforeBytes)} before, ${mb(r.rssPeakBytes)} at the`,
    `peak; snapshot ${seconds(r.startMs)} for ${count(r.recipients)} recipients, then`,
    `${count(r.sent)} sent in ${SEND_SECONDS} s.`,
  ].join(' ');
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const small = await campaignOf(ctx, SMALL);
  const large = await campaignOf(ctx, LARGE);
  ctx.progress('memory: the 1,000 again, compiled to JavaScript and run without tsx');
  const plain = await campaignOf(ctx, SMALL, true);
  const growth = large.rssPeakBytes / small.rssPeakBytes;
  const complete = small.recipients === SMALL && large.recipients === LARGE;
  return {
    name: 'Memory without the browser',
    figure: `${mb(large.rssPeakBytes)} peak RSS, ${count(LARGE)} leads`,
    baseline: `${mb(small.rssPeakBytes)}, ${count(SMALL)} leads`,
    ratio: ratio(growth),
    target: '<= 1.3x, <= 150 MB',
    met: complete && growth <= MAX_RATIO && large.rssPeakBytes <= MAX_BYTES,
    scale: LARGE === 100_000 ? undefined : `${count(LARGE)} leads`,
    note: [
      'Each campaign runs in a fresh Node process under tsx (as `npm start` does):',
      `${describe(SMALL, small)} ${describe(LARGE, large)} Without tsx (the project compiled`,
      `by tsc, run by plain node) the ${describe(SMALL, plain)}`,
    ].join(' '),
  };
}

/** Benchmark 5: resident memory during a campaign of 100,000 against one of 1,000. */
export const memory: Benchmark = { name: 'memory', title: 'Memory without the browser', run };
