import type { Config } from '../config.js';
import type { CampaignRules } from '../domain/campaign.js';

/** Campaign limits from configuration (MIN_DELAY_FLOOR_SECONDS). */
export function campaignRulesFrom(config: Config): CampaignRules {
  return { minDelayFloorSeconds: config.MIN_DELAY_FLOOR_SECONDS };
}
