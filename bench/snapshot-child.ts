import { CampaignService } from '../src/campaigns/service.js';
import { systemClock } from '../src/domain/time.js';
import { AppEvents } from '../src/events.js';
import { silentLogger } from '../src/log.js';
import { describeTimes, timeMethods, type CallTimes } from './load.js';
import {
  collectGarbage,
  openChildStore,
  sampleRss,
  timed,
  writeChildResult,
} from './support.js';

/** What the snapshot child reports. */
export interface SnapshotChildResult {
  ms: number;
  recipients: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  profile: string;
  times: CallTimes;
}

/**
 * Starts one scheduled campaign with CampaignService.start in a process of its own and
 * reports how long it took, the resident memory before and at its peak, and where the
 * time went. Arguments: database name, campaign id.
 */
const [dbName, campaignId] = process.argv.slice(2);
const { store, close } = await openChildStore(dbName!);
const service = new CampaignService({
  store,
  events: new AppEvents(),
  log: silentLogger,
  clock: systemClock,
  rules: { minDelayFloorSeconds: 0 },
});
const times: CallTimes = {};
timeMethods(store.messages, 'messages', ['insertMany', 'unparkCampaign', 'countByStatus'], times);
timeMethods(store.campaigns, 'campaigns', ['findById', 'transition'], times);
timeMethods(store.acks, 'acks', ['countForCampaign'], times);

collectGarbage();
const rssBeforeBytes = process.memoryUsage.rss();
const sampler = sampleRss(20);
const { value: outcome, ms } = await timed(() => service.start(campaignId!));
const rssPeakBytes = sampler.stop();
if (!outcome.started) throw new Error(`the campaign did not start: ${outcome.reason}`);

const result: SnapshotChildResult = {
  ms,
  recipients: outcome.recipients,
  rssBeforeBytes,
  rssPeakBytes,
  profile: describeTimes(times, ms),
  times,
};
writeChildResult(result);
await close();
process.exit(0);
