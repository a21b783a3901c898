import { ALWAYS_OPEN } from '../../../src/domain/send-window.js';
import { ManualClock } from '../../../src/domain/time.js';
import { silentLogger } from '../../../src/log.js';
import { SequenceService } from '../../../src/sequences/service.js';
import type { StepTimingSettings } from '../../../src/sequences/schedule.js';
import { SequenceTick } from '../../../src/sequences/tick.js';
import type { Lead, LeadInput, Sequence, SequenceInput, Store } from '../../../src/store/index.js';
import { makePhone } from '../../support/builders.js';

/** Times read in UTC, no send window: what most sequence tests want. */
export const OPEN_UTC: StepTimingSettings = { defaultTimeZone: 'UTC', sendWindow: ALWAYS_OPEN };

let sequenceCounter = 0;

/** A sequence with steps on days 1, 3 and 7, triggered by the exact word `info`. */
export function makeSequenceInput(overrides: Partial<SequenceInput> = {}): SequenceInput {
  return {
    name: `Welcome ${sequenceCounter++}`,
    trigger: { keywords: ['info'], match: 'exact' },
    steps: [
      { dayNumber: 1, content: 'Hi {{first_name|there}}, here is our menu.' },
      { dayNumber: 3, content: 'Did you get a chance to look?' },
      { dayNumber: 7, content: 'Last call: 10% off this week.' },
    ],
    ...overrides,
  };
}

/** A service, a tick and a clock they share, over the test store. */
export function makeSequenceKit(
  store: Store,
  options: { start?: Date; timing?: StepTimingSettings; onEnrolled?: () => void } = {},
) {
  const clock = new ManualClock(options.start ?? new Date('2026-06-01T12:00:00Z'));
  const timing = options.timing ?? OPEN_UTC;
  const log = silentLogger;
  const created: number[] = [];
  const service = new SequenceService({
    store,
    clock,
    log,
    timing,
    onEnrolled: options.onEnrolled,
  });
  const tick = new SequenceTick({
    store,
    clock,
    log,
    timing,
    onMessagesCreated: (count) => created.push(count),
  });
  return { clock, service, tick, created };
}

/** Creates a lead with a fresh phone number. */
export async function createLead(store: Store, overrides: Partial<LeadInput> = {}): Promise<Lead> {
  return store.leads.create({ phone: makePhone(), name: 'Ana Lopez', ...overrides });
}

/** Creates a sequence from {@link makeSequenceInput}. */
export async function createSequence(
  store: Store,
  overrides: Partial<SequenceInput> = {},
): Promise<Sequence> {
  return store.sequences.create(makeSequenceInput(overrides));
}

/** The lead's sequence messages, oldest due first. */
export async function stepMessagesOf(store: Store, lead: Lead) {
  return store.messages.model
    .find({ leadId: lead._id, kind: 'sequence' })
    .sort({ notBefore: 1 })
    .lean();
}

export const DAY_MS = 24 * 60 * 60 * 1000;
