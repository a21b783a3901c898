import { Types } from 'mongoose';
import { validateSequence } from '../domain/sequence.js';
import type { Sequence, SequenceStep, Store } from '../store/index.js';

/** What a step is made of when an admin writes one. */
export interface StepInput {
  dayNumber: number;
  sendTime?: string;
  content: string;
  mediaUrl?: string;
}

/** A step change that was saved (the sequence after it), or why it was refused. */
export type StepChange =
  { ok: true; sequence: Sequence; index: number } | { ok: false; problems: string[] };

/**
 * Adds, edits and removes steps of a stored sequence. The whole sequence is checked
 * again with the sequence rules (days in increasing order, one step per day, valid
 * templates) before the steps are replaced. Active enrollments keep pointing at the
 * same next step: after an insert or removal before their position, their position
 * moves with it, so nobody gets a step twice or skips one they had not reached.
 * A step inserted at or before an enrollment's next step is not sent to that lead.
 */
export class SequenceSteps {
  constructor(private readonly store: Store) {}

  /** Inserts a step in day order. */
  async add(sequence: Sequence, input: StepInput): Promise<StepChange> {
    const step = { _id: new Types.ObjectId(), ...clean(input) } as SequenceStep;
    const steps = [...sequence.steps, step].sort((a, b) => a.dayNumber - b.dayNumber);
    const index = steps.indexOf(step);
    const saved = await this.save(sequence, steps, index);
    if (saved.ok) await this.store.enrollments.shiftPositions(sequence._id, index, 1);
    return saved;
  }

  /** Changes the step at `index` (0-based); what `changes` leaves out stays. */
  async edit(sequence: Sequence, index: number, changes: Partial<StepInput>): Promise<StepChange> {
    const current = sequence.steps[index];
    if (!current) return outOfRange(sequence);
    const merged = {
      ...current,
      ...clean({ ...stepInput(current), ...changes }),
      _id: current._id,
    };
    if (changes.sendTime === undefined && 'sendTime' in changes) delete merged.sendTime;
    const steps = sequence.steps.map((step, i) => (i === index ? (merged as SequenceStep) : step));
    return this.save(sequence, steps, index);
  }

  /** Removes the step at `index` (0-based); the last step cannot be removed. */
  async remove(sequence: Sequence, index: number): Promise<StepChange> {
    if (!sequence.steps[index]) return outOfRange(sequence);
    if (sequence.steps.length === 1) {
      return {
        ok: false,
        problems: [
          'this is the only step; a sequence needs one. Turn it off with /sequence_off instead',
        ],
      };
    }
    const steps = sequence.steps.filter((_, i) => i !== index);
    const saved = await this.save(sequence, steps, index);
    if (saved.ok) await this.store.enrollments.shiftPositions(sequence._id, index + 1, -1);
    return saved;
  }

  private async save(
    sequence: Sequence,
    steps: SequenceStep[],
    index: number,
  ): Promise<StepChange> {
    const check = validateSequence({
      name: sequence.name,
      trigger: sequence.trigger,
      steps: steps.map(stepInput),
    });
    if (!check.ok) return check;
    const saved = await this.store.sequences.setSteps(sequence._id, steps);
    if (!saved) return { ok: false, problems: ['the sequence was deleted meanwhile'] };
    return { ok: true, sequence: saved, index };
  }
}

function stepInput(step: SequenceStep | StepInput): StepInput {
  return clean({
    dayNumber: step.dayNumber,
    sendTime: step.sendTime,
    content: step.content,
    mediaUrl: step.mediaUrl,
  });
}

function clean<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== null),
  ) as T;
}

function outOfRange(sequence: Sequence): StepChange {
  const count = sequence.steps.length;
  return {
    ok: false,
    problems: [`there is no such step: "${sequence.name}" has steps 1 to ${count}`],
  };
}
