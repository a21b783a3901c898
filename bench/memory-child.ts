import { CampaignService } from '../src/campaigns/service.js';
import { systemClock } from '../src/domain/time.js';
import { AppEvents } from '../src/events.js';
import { silentLogger } from '../src/log.js';
import { BenchTransport, createBenchDispatcher } from './load.js';
import {
  collectGarbage,
  openChildStore,
  sampleRss,
  sleep,
  timed,
  writeChildResult,
} from './support.js';

/** What the memory child reports. */
export interface MemoryChildResult {
  rssBeforeBytes: number;
  rssPeakBytes: number;
  startMs: number;
  recipients: number;
  sent: number;
}

/**
 * Runs one campaign as the bot would, without a browser: the audience snapshot, then
 * the dispatcher sending through the simulated transport for a fixed time, and reports
 * the resident memory before and at its peak. Arguments: database name, campaign id,
 * seconds of sending.
 */
const [dbName, campaignId, sendSeconds] = process.argv.slice(2);
const { store, close } = await openChildStore(dbName!);
const transport = new BenchTransport();
const dispatcher = createBenchDispatcher({ store, transport });
const service = new CampaignService({
  store,
  events: new AppEvents(),
  log: silentLogger,
  clock: systemClock,
  rules: { minDelayFloorSeconds: 0 },
  wake: () => dispatcher.wake(),
});

collectGarbage();
const rssBeforeBytes = process.memoryUsage.rss();
const sampler = sampleRss(20);
await transport.start();
await dispatcher.start();
const { value: outcome, ms: startMs } = await timed(() => service.start(campaignId!));
await sleep(Number(sendSeconds) * 1000);
const rssPeakBytes = sampler.stop();
await dispatcher.stop();
await transport.dispose();
if (!outcome.started) throw new Error(`the campaign did not start: ${outcome.reason}`);

const result: MemoryChildResult = {
  rssBeforeBytes,
  rssPeakBytes,
  startMs,
  recipients: outcome.recipients,
  sent: dispatcher.metrics().sent,
};
writeChildResult(result);
await close();
process.exit(0);
