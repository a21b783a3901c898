import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import { ManualClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { DEFAULT_OPT_OUT_CONFIRMATION, InboundHandler } from '../../../src/inbound/handler.js';
import { createAgenda, type Agenda } from '../../../src/jobs/agenda.js';
import { SequenceJobs } from '../../../src/jobs/sequence-jobs.js';
import { silentLogger } from '../../../src/log.js';
import { SequenceService } from '../../../src/sequences/service.js';
import { SequenceTick } from '../../../src/sequences/tick.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makePhone } from '../../support/builders.js';
import { useTestStore } from '../../support/db.js';
import {
  makeSimulatedTransport,
  tempDir,
  testDispatcherSettings,
  waitFor,
} from '../../support/sending.js';
import { DAY_MS, OPEN_UTC, createSequence } from './support.js';

const ctx = useTestStore('sequence_e2e');
const dir = tempDir('sequence-e2e');
const START = new Date('2026-06-01T12:00:00Z');
// How long "nothing more arrives" is watched: several dispatcher turns and tick runs.
const QUIET_MS = 1_500;

interface Bot {
  clock: ManualClock;
  transport: SimulatedTransport;
  dispatcher: Dispatcher;
  agenda: Agenda;
  jobs: SequenceJobs;
}

let bot: Bot;

/** Wires what the app wires: transport, inbound, enrollment, tick, dispatcher, outbox. */
async function startBot(): Promise<Bot> {
  const { store } = ctx;
  const clock = new ManualClock(START);
  const log = silentLogger;
  const events = new AppEvents();
  const transport = makeSimulatedTransport(dir.path, {
    outboxPath: `${dir.path}/outbox-${Date.now()}.jsonl`,
  });
  const settings = testDispatcherSettings();
  const dispatcher = new Dispatcher({ store, transport, events, log, clock, settings });
  const tick = new SequenceTick({
    store,
    log,
    clock,
    timing: OPEN_UTC,
    onMessagesCreated: () => dispatcher.wake(),
  });
  const agenda = createAgenda(store.connection, { processEveryMs: 200 });
  const jobs = new SequenceJobs(agenda, tick, log, { interval: '1 second' });
  const sequences = new SequenceService({
    store,
    log,
    clock,
    timing: OPEN_UTC,
    onEnrolled: () => jobs.runSoon(),
  });
  const inbound = new InboundHandler({
    store,
    sequences,
    events,
    log,
    clock,
    stopWords: ['STOP', 'UNSUBSCRIBE'],
    hotKeywords: ['price'],
    onMessagesCreated: () => dispatcher.wake(),
  });
  inbound.listen(transport);

  await transport.start();
  await dispatcher.start();
  await jobs.schedule();
  await agenda.start();
  return { clock, transport, dispatcher, agenda, jobs };
}

/** What a lead's phone would do: write to the bot through the simulated WhatsApp. */
async function write(from: string, text: string, name = 'Ana Lopez'): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${bot.transport.port}/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, text, name }),
  });
  expect(response.status).toBe(202);
}

async function outboxTo(phone: string): Promise<string[]> {
  return (await bot.transport.readOutbox()).filter((l) => l.to === phone).map((l) => l.text);
}

async function waitForOutbox(phone: string, count: number): Promise<string[]> {
  await waitFor(async () => (await outboxTo(phone)).length >= count, 10_000);
  await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  return outboxTo(phone);
}

beforeEach(async () => {
  await ctx.store.sequences.model.deleteMany({});
  bot = await startBot();
});

afterEach(async () => {
  await bot.agenda.stop();
  await bot.jobs.idle();
  await bot.dispatcher.stop();
  await bot.transport.stop();
});

afterAll(() => dir.remove());

describe('a lead writing the trigger word to the bot', () => {
  it('gets day 1 within seconds, then exactly one step on day 3 and on day 7', async () => {
    const sequence = await createSequence(ctx.store);
    const phone = makePhone();

    await write(phone, 'info');

    expect(await waitForOutbox(phone, 1)).toEqual(['Hi Ana, here is our menu.']);
    const lead = await ctx.store.leads.findByPhone(phone);
    expect(lead).toMatchObject({ status: 'prospect', temperature: 'cold', source: 'whatsapp' });

    bot.clock.set(START.getTime() + 2 * DAY_MS);
    expect(await waitForOutbox(phone, 2)).toHaveLength(2);

    bot.clock.set(START.getTime() + 6 * DAY_MS);
    expect(await waitForOutbox(phone, 3)).toEqual([
      'Hi Ana, here is our menu.',
      'Did you get a chance to look?',
      'Last call: 10% off this week.',
    ]);
    expect(await ctx.store.enrollments.findLatest(sequence._id, lead!._id)).toMatchObject({
      status: 'completed',
    });

    bot.clock.set(START.getTime() + 30 * DAY_MS);
    expect(await waitForOutbox(phone, 3)).toHaveLength(3);
  }, 60_000);

  it('skips a no-reply step after a reply, and the next step still comes', async () => {
    await createSequence(ctx.store, {
      steps: [
        { dayNumber: 1, content: 'Welcome' },
        { dayNumber: 3, content: 'Still there?', condition: { noReplySinceEnrollment: true } },
        { dayNumber: 7, content: 'Our weekly offer' },
      ],
    });
    const phone = makePhone();
    await write(phone, 'info');
    await waitForOutbox(phone, 1);

    bot.clock.set(START.getTime() + DAY_MS);
    await write(phone, 'Thanks, looks great');
    await waitFor(
      async () => (await ctx.store.inbound.model.countDocuments({ from: phone })) === 2,
    );
    bot.clock.set(START.getTime() + 2 * DAY_MS);
    expect(await waitForOutbox(phone, 1)).toEqual(['Welcome']);

    bot.clock.set(START.getTime() + 6 * DAY_MS);
    expect(await waitForOutbox(phone, 2)).toEqual(['Welcome', 'Our weekly offer']);
  }, 60_000);
});

describe('STOP in the middle of a sequence', () => {
  it('cancels what is pending, sends one confirmation and nothing else, ever', async () => {
    const sequence = await createSequence(ctx.store);
    const phone = makePhone();
    await write(phone, 'info');
    await waitForOutbox(phone, 1);
    const lead = (await ctx.store.leads.findByPhone(phone))!;

    // Day 3's step is created but held: sending is paused when the lead writes STOP.
    bot.dispatcher.pause('held for the test');
    bot.clock.set(START.getTime() + 2 * DAY_MS);
    await waitFor(
      async () => (await ctx.store.messages.model.countDocuments({ leadId: lead._id })) === 2,
    );
    await write(phone, 'STOP');
    await waitFor(async () => Boolean((await ctx.store.leads.findById(lead._id))?.optedOutAt));
    bot.dispatcher.resume();

    expect(await waitForOutbox(phone, 2)).toEqual([
      'Hi Ana, here is our menu.',
      DEFAULT_OPT_OUT_CONFIRMATION,
    ]);
    const statuses = await ctx.store.messages.countByStatus({ leadId: lead._id });
    expect(statuses).toEqual({ sent: 2, cancelled: 1 });
    expect(await ctx.store.enrollments.findLatest(sequence._id, lead._id)).toMatchObject({
      status: 'stopped',
    });

    await write(phone, 'STOP');
    await write(phone, 'info');
    bot.clock.set(START.getTime() + 30 * DAY_MS);
    expect(await waitForOutbox(phone, 2)).toHaveLength(2);

    const audience = ctx.store.leads.audienceFilter({ status: 'all' });
    expect(await ctx.store.leads.model.exists({ ...audience, _id: lead._id })).toBeNull();
  }, 60_000);
});
