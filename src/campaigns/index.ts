export {
  CampaignService,
  CampaignNotFoundError,
  CampaignStateError,
  type CampaignScheduler,
  type CampaignServiceDeps,
  type CreateCampaignOutcome,
  type StartOutcome,
} from './service.js';
export { campaignMessageFor, campaignMessageKey } from './audience.js';
export { campaignRulesFrom } from './rules.js';
