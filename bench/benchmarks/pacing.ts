import type { Types } from 'mongoose';
import { ManualClock } from '../../src/domain/time.js';
import type { Dispatcher } from '../../src/dispatch/dispatcher.js';
import type { Campaign, Store } from '../../src/store/index.js';
import { ksUniform } from '../ks.js';
import { BenchTransport, createBenchDispatcher, whenSent } from '../load.js';
import {
  campaignMessages,
  count,
  createRunningCampaign,
  openBenchStore,
  seededRandom,
  type BenchContext,
  type Benchmark,
  type BenchResult,
} from '../support.js';

const GAPS = 5_000;
const MIN_GAP_SECONDS = 1;
const MAX_GAP_SECONDS = 3;
const HOURLY_CAP = 600;
const DAILY_CAP = 4_000;
const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
const WAVE = 200;
const SEED = 2024;
const MIN_P = 0.01;

/**
 * Keeps a few hundred messages pending: when fewer than a quarter of a wave is left,
 * removes what was sent (and its send attempts) and inserts the next wave, due now on
 * the fake clock. A small collection keeps each claim cheap on FerretDB; the caps are
 * counted by the dispatcher in memory, so removing sent messages does not touch them.
 */
class Feeder {
  inserted = 0;
  sent = 0;

  constructor(
    private readonly store: Store,
    private readonly campaign: Campaign,
    private readonly clock: ManualClock,
    private readonly total: number,
  ) {}

  async topUp(): Promise<void> {
    if (this.inserted - this.sent > WAVE / 4 || this.inserted >= this.total) return;
    const done = await this.store.messages.model
      .find({ status: 'sent' }, { _id: 1 })
      .lean<{ _id: Types.ObjectId }[]>();
    const ids = done.map((doc) => doc._id);
    await this.store.attempts.model.deleteMany({ messageId: { $in: ids } });
    await this.store.messages.model.deleteMany({ _id: { $in: ids } });

    const size = Math.min(WAVE, this.total - this.inserted);
    const due = () => new Date(this.clock.now().getTime() - 1);
    await this.store.messages.insertMany(campaignMessages(this.campaign, size, due, this.inserted));
    this.inserted += size;
  }
}

/**
 * Replaces the dispatcher's one timer (its private `sleep`) with a move of the fake
 * clock, recording each gap slept after a send; everything else is the real loop.
 */
function runOnFakeClock(dispatcher: Dispatcher, clock: ManualClock, feeder: Feeder): number[] {
  const gaps: number[] = [];
  const sleep = async (delayMs: number, wakeable: boolean) => {
    if (!wakeable) gaps.push(delayMs);
    await feeder.topUp();
    clock.advance(delayMs);
  };
  (dispatcher as unknown as { sleep: typeof sleep }).sleep = sleep;
  return gaps;
}

/** The most sends in any window of `windowMs` ending at a send (times sorted). */
function mostInWindow(times: number[], windowMs: number): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while (times[first]! <= times[last]! - windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

async function run(ctx: BenchContext): Promise<BenchResult> {
  const bench = await openBenchStore(ctx.uri, 'pacing');
  const clock = new ManualClock(new Date('2030-05-06T08:00:00Z'));
  const campaign = await createRunningCampaign(bench.store, [MIN_GAP_SECONDS, MAX_GAP_SECONDS]);
  const feeder = new Feeder(bench.store, campaign, clock, GAPS);
  await feeder.topUp();

  const transport = new BenchTransport();
  await transport.start();
  const dispatcher = createBenchDispatcher({
    store: bench.store,
    transport,
    clock,
    random: seededRandom(SEED),
    settings: { hourlyCap: HOURLY_CAP, dailyCap: DAILY_CAP, maxIdleSleepMs: HOUR_MS },
  });
  const gaps = runOnFakeClock(dispatcher, clock, feeder);
  const sendTimes: number[] = [];
  dispatcher.on('sent', () => {
    sendTimes.push(clock.now().getTime());
    feeder.sent += 1;
  });

  ctx.progress(`pacing: ${count(GAPS)} sends with ${MIN_GAP_SECONDS}-${MAX_GAP_SECONDS} s gaps`);
  const allSent = whenSent(dispatcher, GAPS);
  await dispatcher.start();
  await allSent;
  await dispatcher.stop();
  const lines = (await transport.readOutbox()).length;
  await transport.dispose();
  await bench.close();

  const gapSeconds = gaps.slice(0, GAPS).map((gap) => gap / 1000);
  const { d, p } = ksUniform(gapSeconds, MIN_GAP_SECONDS, MAX_GAP_SECONDS);
  const intervals = sendTimes.slice(1).map((at, i) => at - sendTimes[i]!);
  const shortest = Math.min(...intervals);
  const perHour = mostInWindow(sendTimes, HOUR_MS);
  const perDay = mostInWindow(sendTimes, DAY_MS);
  const spanHours = (sendTimes.at(-1)! - sendTimes[0]!) / HOUR_MS;
  const met =
    p > MIN_P &&
    Math.min(...gapSeconds) >= MIN_GAP_SECONDS &&
    shortest >= MIN_GAP_SECONDS * 1000 &&
    perHour <= HOURLY_CAP &&
    perDay <= DAILY_CAP &&
    lines === GAPS;
  return {
    name: 'Pacing',
    figure: `KS p ${p.toFixed(3)} (D ${d.toFixed(4)}); max ${perHour}/h, ${perDay}/day`,
    baseline: `uniform ${MIN_GAP_SECONDS}-${MAX_GAP_SECONDS} s`,
    ratio: '-',
    target: `p > 0.01, gaps >= 1 s, <= ${HOURLY_CAP}/h, <= ${count(DAILY_CAP)}/day`,
    met,
    note: [
      `${count(gapSeconds.length)} gaps drawn by the real Dispatcher (seed ${SEED}) for a`,
      `campaign with ${MIN_GAP_SECONDS}-${MAX_GAP_SECONDS} s delays; shortest gap`,
      `${Math.min(...gapSeconds).toFixed(3)} s, longest ${Math.max(...gapSeconds).toFixed(3)} s;`,
      `shortest time between two sends ${(shortest / 1000).toFixed(3)} s. With HOURLY_CAP`,
      `${HOURLY_CAP} and DAILY_CAP ${count(DAILY_CAP)} the ${count(sendTimes.length)} sends took`,
      `${spanHours.toFixed(1)} fake hours; the busiest rolling hour held ${perHour}, the busiest`,
      `rolling day ${perDay}. What runs: the whole dispatcher loop (claim, campaign check, fence,`,
      `simulated send, record, SendCaps, drawGapMs) on a ManualClock; only its private sleep is`,
      'replaced by moving that clock. Sent messages are removed between waves of 200 to keep',
      'the collection small; the caps live in the dispatcher and do not see that.',
    ].join(' '),
  };
}

/** Benchmark 7: gaps against the uniform distribution and the caps, on a fake clock. */
export const pacing: Benchmark = { name: 'pacing', title: 'Pacing', run };
