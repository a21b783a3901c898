import { afterAll, describe, expect, it } from 'vitest';
import { createAgenda, type Agenda } from '../../../src/jobs/agenda.js';
import { SEQUENCE_TICK_JOB, SequenceJobs } from '../../../src/jobs/sequence-jobs.js';
import { silentLogger } from '../../../src/log.js';
import { SequenceService } from '../../../src/sequences/service.js';
import { SequenceTick, type TickSummary } from '../../../src/sequences/tick.js';
import { useTestStore } from '../../support/db.js';
import { OPEN_UTC, createLead, createSequence, stepMessagesOf } from '../sequences/support.js';

const ctx = useTestStore('sequence_jobs');
const agendas: Agenda[] = [];

afterAll(async () => {
  for (const agenda of agendas) await agenda.stop();
});

const EMPTY: TickSummary = {
  due: 0,
  messagesCreated: 0,
  skipped: 0,
  completed: 0,
  stopped: 0,
  failed: 0,
};

/** A tick that counts its runs and takes `ms` each. */
function slowTick(ms: number) {
  const state = { runs: 0, overlapping: 0, active: 0 };
  const tick = {
    run: async () => {
      state.runs++;
      state.active++;
      state.overlapping = Math.max(state.overlapping, state.active);
      await new Promise((done) => setTimeout(done, ms));
      state.active--;
      return EMPTY;
    },
  } as unknown as SequenceTick;
  return { tick, state };
}

describe('SequenceJobs', () => {
  it('recurs, so a due enrollment gets its message with no request', async () => {
    const agenda = createAgenda(ctx.store.connection, { processEveryMs: 200 });
    agendas.push(agenda);
    const tick = new SequenceTick({ store: ctx.store, log: silentLogger, timing: OPEN_UTC });
    const jobs = new SequenceJobs(agenda, tick, silentLogger, { interval: '1 second' });
    await jobs.schedule();
    await agenda.start();

    const service = new SequenceService({ store: ctx.store, log: silentLogger, timing: OPEN_UTC });
    const [sequence, lead] = [await createSequence(ctx.store), await createLead(ctx.store)];
    await service.enroll(sequence._id, lead._id, 'trigger');

    await expect
      .poll(async () => (await stepMessagesOf(ctx.store, lead)).length, { timeout: 10_000 })
      .toBe(1);
    const jobsCollection = ctx.store.connection.collection('agendaJobs');
    expect(await jobsCollection.countDocuments({ name: SEQUENCE_TICK_JOB })).toBe(1);
  });

  it('answers many run requests during a run with one more run, never two at once', async () => {
    const agenda = createAgenda(ctx.store.connection);
    const { tick, state } = slowTick(100);
    const jobs = new SequenceJobs(agenda, tick, silentLogger);

    const first = jobs.runNow();
    const later = Array.from({ length: 5 }, () => jobs.runNow());
    await Promise.all([first, ...later]);

    expect(state.runs).toBe(2);
    expect(state.overlapping).toBe(1);
  });

  it('runSoon starts a run without waiting, and idle waits for it', async () => {
    const agenda = createAgenda(ctx.store.connection);
    const { tick, state } = slowTick(50);
    const jobs = new SequenceJobs(agenda, tick, silentLogger);

    jobs.runSoon();
    jobs.runSoon();
    await jobs.idle();

    expect(state.runs).toBe(2);
    expect(state.active).toBe(0);
  });
});
