/** Campaign lifecycle; see DESIGN.md, Status machines. */
export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

const CAMPAIGN_NEXT: Record<CampaignStatus, readonly CampaignStatus[]> = {
  draft: ['scheduled', 'cancelled'],
  scheduled: ['running', 'cancelled'],
  running: ['paused', 'completed', 'cancelled'],
  paused: ['running', 'cancelled'],
  completed: [],
  cancelled: [],
};

/** One message to one lead. `unknown`: may or may not have gone out; waits for an admin. */
export const MESSAGE_STATUSES = [
  'pending',
  'queued',
  'sent',
  'failed',
  'cancelled',
  'unknown',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

const MESSAGE_NEXT: Record<MessageStatus, readonly MessageStatus[]> = {
  pending: ['queued', 'cancelled'],
  queued: ['sent', 'failed', 'pending', 'unknown', 'cancelled'],
  unknown: ['sent', 'pending', 'failed', 'cancelled'],
  sent: [],
  failed: [],
  cancelled: [],
};

export const ENROLLMENT_STATUSES = ['active', 'completed', 'stopped', 'failed'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];

const ENROLLMENT_NEXT: Record<EnrollmentStatus, readonly EnrollmentStatus[]> = {
  active: ['completed', 'stopped', 'failed'],
  completed: [],
  stopped: [],
  failed: [],
};

export const LEAD_STATUSES = ['prospect', 'customer'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

export const TEMPERATURES = ['cold', 'warm', 'hot'] as const;
export type Temperature = (typeof TEMPERATURES)[number];

/** Raised when a status change is not allowed; the message names the allowed ones. */
export class TransitionError extends Error {
  constructor(
    readonly kind: string,
    readonly from: string,
    readonly to: string,
    readonly allowed: readonly string[],
  ) {
    super(
      `a ${kind} that is ${from} cannot become ${to}; ` +
        (allowed.length ? `it can become ${allowed.join(' or ')}` : `${from} is final`),
    );
    this.name = 'TransitionError';
  }
}

function check<S extends string>(kind: string, table: Record<S, readonly S[]>, from: S, to: S) {
  const allowed = table[from];
  if (!allowed.includes(to)) throw new TransitionError(kind, from, to, allowed);
}

/** Throws TransitionError unless a campaign may go from `from` to `to`. */
export function assertCampaignTransition(from: CampaignStatus, to: CampaignStatus): void {
  check('campaign', CAMPAIGN_NEXT, from, to);
}

/** Statuses a campaign may move to from `from`. */
export function campaignNextStatuses(from: CampaignStatus): readonly CampaignStatus[] {
  return CAMPAIGN_NEXT[from];
}

/** Throws TransitionError unless a message may go from `from` to `to`. */
export function assertMessageTransition(from: MessageStatus, to: MessageStatus): void {
  check('message', MESSAGE_NEXT, from, to);
}

/** Throws TransitionError unless an enrollment may go from `from` to `to`. */
export function assertEnrollmentTransition(from: EnrollmentStatus, to: EnrollmentStatus): void {
  check('enrollment', ENROLLMENT_NEXT, from, to);
}

const TEMPERATURE_RANK: Record<Temperature, number> = { cold: 0, warm: 1, hot: 2 };

/** The warmer of two temperatures: automatic changes only ever warm a lead up. */
export function warmer(a: Temperature, b: Temperature): Temperature {
  return TEMPERATURE_RANK[a] >= TEMPERATURE_RANK[b] ? a : b;
}
