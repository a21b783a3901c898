import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { campaignMessageFor } from '../../../src/campaigns/audience.js';
import type { Campaign, Lead } from '../../../src/store/index.js';
import { recordEvents, seedLeads, SendingHarness } from '../../support/campaigns.js';
import { useTestStore } from '../../support/db.js';
import { tempDir, waitFor } from '../../support/sending.js';

const ctx = useTestStore('campaign_flow');
// Whole campaigns on a database other test files may be loading at the same time.
vi.setConfig({ testTimeout: 120_000 });
const dir = tempDir('campaign-flow');
const TEMPLATE = '{Hi|Hello|Hey} {{first_name|there}}, our {spring|new season} offers are in.';

let harness: SendingHarness;
let leads: Lead[];

afterAll(() => dir.remove());

beforeEach(async () => {
  for (const model of Object.values(ctx.store.connection.models)) await model.deleteMany({});
  leads = await seedLeads(ctx.store, { prospects: 30, customers: 15, optedOut: 5 });
});

afterEach(async () => {
  await harness?.stop();
});

async function createCampaign(minDelaySeconds: number, maxDelaySeconds: number): Promise<Campaign> {
  const outcome = await harness.campaigns.create({
    title: 'Spring offers',
    message: TEMPLATE,
    target: { status: 'prospect' },
    minDelaySeconds,
    maxDelaySeconds,
    scheduledAt: new Date(),
  });
  if (!outcome.ok) throw new Error(outcome.problems.join('; '));
  return outcome.campaign;
}

/** Runs the watcher until the campaign is completed. */
async function untilCompleted(campaign: Campaign, timeoutMs = 90_000) {
  await waitFor(
    async () => {
      await harness.campaigns.watch();
      return (await ctx.store.campaigns.findById(campaign._id))?.status === 'completed';
    },
    timeoutMs,
    100,
  );
}

/**
 * How late a timer may fire, in ms. Usually a few ms; 200+ was seen with two CPUs
 * shared by the database and other test files starting bot processes.
 */
const TIMER_SLACK_MS = 300;

/**
 * Times each wait the dispatcher keeps between sends: from its `sent` event (the
 * outcome is stored, the gap begins) to its next claim. Send and database time are
 * outside these spans, so they can be held to the campaign's range.
 */
function measurePaces(h: SendingHarness) {
  const sentAt: number[] = [];
  const claimAt: number[] = [];
  h.dispatcher.on('sent', () => sentAt.push(performance.now()));
  const claimNext = h.store.messages.claimNext.bind(h.store.messages);
  h.store.messages.claimNext = (...args) => {
    claimAt.push(performance.now());
    return claimNext(...args);
  };
  onTestFinished(() => {
    delete (h.store.messages as { claimNext?: unknown }).claimNext;
  });
  return {
    gapsMs: () => sentAt.slice(0, -1).map((sent) => claimAt.find((claim) => claim > sent)! - sent),
  };
}

/**
 * Makes the dispatcher's next claim wait for an admin action once it has begun, as
 * when the action reaches the database during the gap before the next send.
 */
function holdClaimsUntil(h: SendingHarness, action: () => Promise<unknown> | undefined) {
  const claimNext = h.store.messages.claimNext.bind(h.store.messages);
  h.store.messages.claimNext = async (...args) => {
    await action()?.catch(() => undefined);
    return claimNext(...args);
  };
  onTestFinished(() => {
    delete (h.store.messages as { claimNext?: unknown }).claimNext;
  });
}

const prospects = () => leads.filter((lead) => lead.status === 'prospect' && !lead.optedOutAt);

describe('a campaign to 30 of 50 leads with gaps of 50 to 100 ms', () => {
  it('sends one personalized message per prospect, paced, and completes', async () => {
    const drawn: number[] = [];
    const random = () => {
      const value = Math.random();
      drawn.push(value);
      return value;
    };
    // No lease sweep between sends: it would count as part of a gap here.
    const settings = { sweepIntervalMs: 600_000 };
    harness = await new SendingHarness(ctx.store, { dir: dir.path, random, settings }).start();
    const seen = recordEvents(harness.events);
    const paces = measurePaces(harness);
    const campaign = await createCampaign(0.05, 0.1);

    expect(await harness.campaigns.start(campaign._id)).toEqual({ started: true, recipients: 30 });
    await untilCompleted(campaign);

    const outbox = await harness.transport.readOutbox();
    expect(outbox).toHaveLength(30);
    const phones = new Set(prospects().map((lead) => lead.phone));
    expect(new Set(outbox.map((line) => line.to))).toEqual(phones);
    for (const line of outbox) {
      const lead = prospects().find((l) => l.phone === line.to)!;
      expect(line.text).toMatch(/^(Hi|Hello|Hey) \S+, our (spring|new season) offers are in\.$/);
      expect(line.text).toContain(lead.name.split(' ')[0]);
    }

    // Each wait between a recorded send and the next claim lies in [50, 100] ms (timers
    // may fire a little late), and no two sends left closer than 50 ms apart.
    expect(drawn.map((r) => 50 + 50 * r).every((gap) => gap >= 50 && gap <= 100)).toBe(true);
    const gaps = paces.gapsMs();
    expect(gaps).toHaveLength(29);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(49);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(100 + TIMER_SLACK_MS);
    const times = outbox.map((line) => Date.parse(line.at));
    const spacing = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...spacing)).toBeGreaterThanOrEqual(50);

    const finished = seen.filter(([name]) => name === 'campaign-finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]![3]).toMatchObject({ total: 30, sent: 30, failed: 0, pending: 0 });
    expect(seen.filter(([name]) => name === 'campaign-started')).toEqual([
      ['campaign-started', campaign._id.toHexString(), 'Spring offers', 30],
    ]);
  });
});

describe('pause, resume and cancel', () => {
  it('stops before the 11th send when paused after 10; resume sends the rest once', async () => {
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const campaign = await createCampaign(0.05, 0.1);
    let pausing: Promise<unknown> | undefined;
    harness.dispatcher.on('sent', () => {
      if (harness.dispatcher.metrics().sent === 10) pausing = harness.campaigns.pause(campaign._id);
    });
    holdClaimsUntil(harness, () => pausing);

    await harness.campaigns.start(campaign._id);
    await waitFor(() => pausing !== undefined);
    await pausing;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(await harness.transport.readOutbox()).toHaveLength(10);
    expect((await ctx.store.campaigns.findById(campaign._id))?.status).toBe('paused');

    await harness.campaigns.resume(campaign._id);
    await untilCompleted(campaign);
    const outbox = await harness.transport.readOutbox();
    expect(outbox).toHaveLength(30);
    expect(new Set(outbox.map((line) => line.to)).size).toBe(30);
  });

  it('leaves every message not yet sent cancelled', async () => {
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const campaign = await createCampaign(0.05, 0.1);
    let cancelling: Promise<{ cancelled: number }> | undefined;
    harness.dispatcher.on('sent', () => {
      if (harness.dispatcher.metrics().sent === 5) {
        cancelling = harness.campaigns.cancel(campaign._id);
      }
    });
    holdClaimsUntil(harness, () => cancelling);

    await harness.campaigns.start(campaign._id);
    await waitFor(() => cancelling !== undefined);
    expect((await cancelling!).cancelled).toBe(25);
    await new Promise((resolve) => setTimeout(resolve, 600));

    expect(await harness.transport.readOutbox()).toHaveLength(5);
    const figures = await harness.campaigns.figures(campaign._id);
    expect(figures).toMatchObject({ total: 30, sent: 5, cancelled: 25, pending: 0, queued: 0 });
    expect((await ctx.store.campaigns.findById(campaign._id))?.status).toBe('cancelled');
  });

  it('refuses to pause a campaign that has not started, naming what it can become', async () => {
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const campaign = await createCampaign(0.05, 0.1);
    await expect(harness.campaigns.pause(campaign._id)).rejects.toThrow(
      'a campaign that is scheduled cannot become paused; it can become running or cancelled',
    );
  });
});

describe('start', () => {
  it('inserts nothing and sends nothing more when run a second time', async () => {
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const campaign = await createCampaign(0.01, 0.02);
    const [first, second] = await Promise.all([
      harness.campaigns.start(campaign._id),
      harness.campaigns.start(campaign._id),
    ]);
    expect([first, second]).toEqual([
      { started: true, recipients: 30 },
      { started: true, recipients: 30 },
    ]);
    expect(await harness.campaigns.start(campaign._id)).toEqual({
      started: false,
      reason: 'it is running',
    });
    await untilCompleted(campaign);
    expect(await harness.transport.readOutbox()).toHaveLength(30);
  });

  it('after a crash between inserting and running, a rerun adds only what is missing', async () => {
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const campaign = await createCampaign(0.01, 0.02);
    const firstHalf = prospects().slice(0, 15);
    const messages = firstHalf.map((lead) => campaignMessageFor(campaign, lead, new Date()));
    await ctx.store.messages.insertMany(messages);
    // The dispatcher meets these while the campaign is still scheduled and holds them back.
    harness.dispatcher.wake();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await harness.transport.readOutbox()).toHaveLength(0);

    expect(await harness.campaigns.start(campaign._id)).toEqual({ started: true, recipients: 30 });
    await untilCompleted(campaign);
    const outbox = await harness.transport.readOutbox();
    expect(outbox).toHaveLength(30);
    expect(new Set(outbox.map((line) => line.to)).size).toBe(30);
  });

  it('waits until the scheduled time', async () => {
    harness = await new SendingHarness(ctx.store, { dir: dir.path }).start();
    const outcome = await harness.campaigns.create({
      title: 'Later',
      message: 'Hello',
      target: { status: 'all' },
      minDelaySeconds: 1,
      maxDelaySeconds: 2,
      scheduledAt: new Date(Date.now() + 60_000),
    });
    if (!outcome.ok) throw new Error('invalid');
    expect(await harness.campaigns.start(outcome.campaign._id)).toEqual({
      started: false,
      reason: 'not due yet',
    });
    expect(await ctx.store.messages.model.countDocuments({})).toBe(0);
  });
});

describe('create', () => {
  it('lists every problem with what to fix and stores nothing', async () => {
    const options = { dir: dir.path, minDelayFloorSeconds: 5 };
    harness = await new SendingHarness(ctx.store, options).start();
    const outcome = await harness.campaigns.create({
      title: '',
      message: 'Hi {{nmae}}',
      target: { status: 'prospect' },
      minDelaySeconds: 1,
      maxDelaySeconds: 0.5,
      scheduledAt: new Date(),
    });
    expect(outcome).toEqual({
      ok: false,
      problems: [
        'title: write a title',
        'message: unknown placeholder {{nmae}}: use {{name}}, {{first_name}} or {{phone}}',
        'minDelaySeconds: wait at least 5 seconds between messages ' +
          '(shorter gaps get accounts banned)',
        'maxDelaySeconds: make the longest gap at least the shortest gap',
      ],
    });
    expect(await ctx.store.campaigns.count()).toBe(0);
  });
});

describe('figures', () => {
  it('counts delivered and read from the transport’s acks', async () => {
    harness = await new SendingHarness(ctx.store, {
      dir: dir.path,
      transport: { ackDelaysMs: { server: 5, delivered: 20, read: 40 } },
    }).start();
    const campaign = await createCampaign(0.01, 0.02);
    await harness.campaigns.start(campaign._id);
    await untilCompleted(campaign);
    await waitFor(async () => (await harness.campaigns.figures(campaign._id)).read === 30, 10_000);
    expect(await harness.campaigns.figures(campaign._id)).toMatchObject({
      total: 30,
      sent: 30,
      delivered: 30,
      read: 30,
    });
  });
});
