import type { Types } from 'mongoose';
import { renderTemplate, seededRandom } from '../domain/template.js';
import type { Campaign, Lead } from '../store/index.js';
import type { NewMessage } from '../store/messages.js';

/** The lead fields a campaign message is built from. */
export type AudienceLead = Pick<Lead, '_id' | 'phone' | 'name'>;

/** The dedupe key of a campaign's message to one lead: one message per (campaign, lead). */
export function campaignMessageKey(campaignId: Types.ObjectId, leadId: Types.ObjectId): string {
  return `campaign:${campaignId.toHexString()}:${leadId.toHexString()}`;
}

/**
 * The campaign's message to one lead, rendered for them. Spintax choices are seeded by
 * campaign and lead, so rendering again (a rerun after a crash) gives the same text.
 */
export function campaignMessageFor(campaign: Campaign, lead: AudienceLead, now: Date): NewMessage {
  const random = seededRandom(`${campaign._id.toHexString()}:${lead._id.toHexString()}`);
  const message: NewMessage = {
    kind: 'campaign',
    dedupeKey: campaignMessageKey(campaign._id, lead._id),
    campaignId: campaign._id,
    leadId: lead._id,
    to: lead.phone,
    content: renderTemplate(campaign.message, { name: lead.name, phone: lead.phone }, random),
    notBefore: now,
  };
  if (campaign.imageUrl) message.mediaUrl = campaign.imageUrl;
  return message;
}

/** Maps a stream of leads to the campaign's messages, one per lead. */
export async function* campaignMessages(
  campaign: Campaign,
  leads: AsyncIterable<AudienceLead>,
  now: Date,
): AsyncGenerator<NewMessage> {
  for await (const lead of leads) yield campaignMessageFor(campaign, lead, now);
}
