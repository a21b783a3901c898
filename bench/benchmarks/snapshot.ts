import { performance } from 'node:perf_hooks';
import type { SnapshotChildResult } from '../snapshot-child.js';
import {
  count,
  insertLeads,
  mb,
  openBenchStore,
  ratio,
  runInChild,
  seconds,
  timed,
  type BenchContext,
  type Benchmark,
  type BenchResult,
} from '../support.js';

const SPECIFIED_LEADS = 100_000;
const BATCH = 1000;
const MAX_RATIO = 2;
const MAX_GROWTH_BYTES = 100 * 1024 * 1024;

function leadCount(): number {
  return Number(process.env.BENCH_SNAPSHOT_LEADS ?? SPECIFIED_LEADS);
}

/** Inserts `docs` into a fresh database's broadcast_messages in unordered batches of 1000. */
async function plainInsert(ctx: BenchContext, docs: Record<string, unknown>[]): Promise<number> {
  const target = await openBenchStore(ctx.uri, 'snapshot_plain');
  const collection = target.store.messages.model.collection;
  const { ms } = await timed(async () => {
    for (let start = 0; start < docs.length; start += BATCH) {
      await collection.insertMany(docs.slice(start, start + BATCH), { ordered: false });
    }
  });
  await target.close();
  return ms;
}

/** The share of start spent on the two queries that scan every message on FerretDB. */
function whatWouldMoveIt(child: SnapshotChildResult, plainMs: number): string {
  const scans =
    (child.times['messages.unparkCampaign']?.totalMs ?? 0) +
    (child.times['messages.countByStatus']?.totalMs ?? 0);
  const without = child.ms - scans;
  return [
    'What limits it: after the insert, start unparks the campaign (an updateMany) and counts',
    'its recipients (an aggregate by status); on FerretDB each reads all the messages, on',
    'MongoDB both use the (campaignId, status) index. Without those two it would have taken',
    `${seconds(without)}, ${ratio(without / plainMs)} the plain insert (counting recipients from`,
    'the insert, and leaving the unpark to the campaign watcher, whose pass already unparks a',
    "running campaign's held-back messages). The rest is the audience read: a scan of the",
    'leads, sorted by _id in memory on FerretDB.',
  ].join(' ');
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const leads = leadCount();
  const source = await openBenchStore(ctx.uri, 'snapshot');
  ctx.progress(`snapshot: inserting ${count(leads)} leads`);
  await insertLeads(source.store, leads);
  const campaign = await source.store.campaigns.create({
    title: 'Snapshot',
    message: 'Hello {{first_name|there}}, this week only: 20% off.',
    scheduledAt: new Date(Date.now() - 1000),
    target: { status: 'all' },
    minDelaySeconds: 0,
    maxDelaySeconds: 0,
  });

  ctx.progress('snapshot: CampaignService.start in a process of its own');
  const child = await runInChild<SnapshotChildResult>('./snapshot-child.ts', [
    source.dbName,
    campaign._id.toHexString(),
  ]);
  const cursorStarted = performance.now();
  let read = 0;
  for await (const lead of source.store.leads.audienceCursor(campaign.target)) read += lead ? 1 : 0;
  const cursorMs = performance.now() - cursorStarted;

  ctx.progress('snapshot: the same documents with one plain insertMany');
  const docs = await source.store.messages.model.collection
    .find({ campaignId: campaign._id })
    .toArray();
  await source.close();
  const plainMs = await plainInsert(ctx, docs);

  const growth = child.rssPeakBytes - child.rssBeforeBytes;
  const timeRatio = child.ms / plainMs;
  const complete = child.recipients === leads && docs.length === leads && read === leads;
  return {
    name: 'Audience snapshot',
    figure: `${seconds(child.ms)}, +${mb(growth)} RSS`,
    baseline: `${seconds(plainMs)} plain insertMany`,
    ratio: ratio(timeRatio),
    target: '<= 2x, <= 100 MB',
    met: complete && timeRatio <= MAX_RATIO && growth <= MAX_GROWTH_BYTES,
    scale: leads === SPECIFIED_LEADS ? undefined : `${count(leads)} leads`,
    note: [
      `${count(child.recipients)} messages from ${count(leads)} leads; RSS`,
      `${mb(child.rssBeforeBytes)} before, ${mb(child.rssPeakBytes)} at the peak.`,
      `Where start's time went: ${child.profile} (insertMany includes reading the`,
      'audience cursor and rendering).',
      `Reading the audience cursor alone: ${seconds(cursorMs)}.`,
      timeRatio > MAX_RATIO ? whatWouldMoveIt(child, plainMs) : '',
    ].join(' '),
  };
}

/** Benchmark 2: CampaignService.start over a large audience against a plain bulk insert. */
export const audienceSnapshot: Benchmark = { name: 'snapshot', title: 'Audience snapshot', run };
