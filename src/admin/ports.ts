/**
 * What the admin bot needs from the parts it drives, as the bot sees them. The
 * services satisfy these structurally; the bot never imports their classes.
 */
import type { Types } from 'mongoose';
import type { CampaignFigures } from '../events.js';
import type { Campaign, Enrollment, Sequence } from '../store/index.js';

/**
 * Campaign lifecycle operations. `pause`, `resume` and `cancel` throw errors whose
 * `name` is CampaignNotFoundError, CampaignStateError or TransitionError, with a
 * message written for admins, when the change is refused.
 */
export interface CampaignPort {
  create(
    input: unknown,
  ): Promise<{ ok: true; campaign: Campaign } | { ok: false; problems: string[] }>;
  pause(id: string): Promise<Campaign>;
  resume(id: string): Promise<Campaign>;
  cancel(id: string): Promise<{ campaign: Campaign; cancelled: number }>;
  figures(id: string): Promise<CampaignFigures>;
}

/** Sequence definition and enrollment operations. */
export interface SequencePort {
  create(
    input: unknown,
    createdBy?: number,
  ): Promise<{ ok: true; sequence: Sequence } | { ok: false; problems: string[] }>;
  enroll(
    sequenceId: Types.ObjectId | string,
    leadId: Types.ObjectId | string,
    source: 'admin',
  ): Promise<
    | { status: 'enrolled' | 'already-enrolled'; enrollment: Enrollment }
    | { status: 'refused'; message: string }
  >;
  unenroll(
    sequenceId: Types.ObjectId | string,
    leadId: Types.ObjectId | string,
    reason?: string,
  ): Promise<boolean>;
}

/** The sending loop's switch. */
export interface DispatcherPort {
  pause(reason: string): void | Promise<void>;
  resume(): void | Promise<void>;
  readonly paused: boolean;
  wake(): void;
}
