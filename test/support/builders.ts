import { Types } from 'mongoose';
import type { NewMessage } from '../../src/store/messages.js';
import type { CampaignInput } from '../../src/store/campaigns.js';

let phoneCounter = 0;

/** A valid, distinct E.164 number (US 201 area, 555-01xx block is fictional). */
export function makePhone(n = phoneCounter++): string {
  return `+1201555${String(n % 10_000).padStart(4, '0')}`;
}

/** A campaign message to a fresh lead, due now. */
export function makeMessage(overrides: Partial<NewMessage> = {}): NewMessage {
  const leadId = new Types.ObjectId();
  const campaignId = overrides.campaignId ?? new Types.ObjectId();
  return {
    kind: 'campaign',
    dedupeKey: `campaign:${campaignId}:${leadId}`,
    campaignId,
    leadId,
    to: makePhone(),
    content: 'Hello',
    notBefore: new Date(Date.now() - 1000),
    ...overrides,
  };
}

/** A scheduled campaign for prospects with 0-second gaps. */
export function makeCampaign(overrides: Partial<CampaignInput> = {}): CampaignInput {
  return {
    title: 'Winter sale',
    message: 'Hi {{first_name|there}}, 20% off this week.',
    scheduledAt: new Date(),
    target: { status: 'prospect' },
    minDelaySeconds: 0,
    maxDelaySeconds: 0,
    ...overrides,
  };
}
