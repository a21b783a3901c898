import { EventEmitter } from 'node:events';
import type { TransportState } from './transport/port.js';

/** Campaign totals, counted from its messages and acks. */
export interface CampaignFigures {
  total: number;
  pending: number;
  queued: number;
  sent: number;
  failed: number;
  cancelled: number;
  unknown: number;
  delivered: number;
  read: number;
}

/**
 * Things admins are told about. Producers (dispatcher, jobs, transport wiring) emit;
 * the admin bot listens and notifies. Emitting never waits on Telegram.
 */
export interface AppEventMap {
  'wa-qr': [qr: string];
  'wa-state': [state: TransportState, reason?: string];
  'campaign-started': [campaignId: string, title: string, recipients: number];
  'campaign-progress': [campaignId: string, figures: CampaignFigures];
  'campaign-finished': [campaignId: string, title: string, figures: CampaignFigures];
  'sending-paused': [reason: string];
  'sending-resumed': [];
  'review-waiting': [count: number];
  'lead-replied': [leadId: string, text: string];
}

/** The process-wide bus for {@link AppEventMap}. */
export class AppEvents extends EventEmitter<AppEventMap> {}
