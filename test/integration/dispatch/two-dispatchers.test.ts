import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import { systemClock } from '../../../src/domain/time.js';
import { AppEvents } from '../../../src/events.js';
import { silentLogger } from '../../../src/log.js';
import { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeCampaign, makeMessage } from '../../support/builders.js';
import { useTestStore } from '../../support/db.js';
import { tempDir, testDispatcherSettings, waitFor } from '../../support/sending.js';

const ctx = useTestStore('two_dispatchers');
const dir = tempDir('two-dispatchers');
const MESSAGES = 40;

afterAll(() => dir.remove());

describe('two dispatchers on one database', () => {
  it('send each message once', async () => {
    const campaign = await ctx.store.campaigns.create(makeCampaign({ status: 'running' }));
    const batch = Array.from({ length: MESSAGES }, () => makeMessage({ campaignId: campaign._id }));
    await ctx.store.messages.insertMany(batch);

    // Two processes' worth: each its own transport, both appending to one outbox.
    const outboxPath = join(dir.path, 'outbox.jsonl');
    const senders = ['a', 'b'].map((name) => {
      const transport = new SimulatedTransport({ outboxPath, ackDelaysMs: false });
      const dispatcher = new Dispatcher({
        store: ctx.store,
        transport,
        events: new AppEvents(),
        log: silentLogger,
        clock: systemClock,
        settings: testDispatcherSettings({ ownerId: `sender-${name}`, leaseMs: 1_500 }),
      });
      return { transport, dispatcher };
    });
    for (const { transport } of senders) await transport.start();
    await Promise.all(senders.map(({ dispatcher }) => dispatcher.start()));

    try {
      await waitFor(
        async () => {
          const counts = await ctx.store.messages.countByStatus({ campaignId: campaign._id });
          return counts.sent === MESSAGES;
        },
        60_000,
        200,
      );
    } finally {
      for (const { dispatcher, transport } of senders) {
        await dispatcher.stop();
        await transport.stop();
      }
    }

    const outbox = await senders[0]!.transport.readOutbox();
    expect(outbox).toHaveLength(MESSAGES);
    expect(new Set(outbox.map((line) => line.to)).size).toBe(MESSAGES);
    const bySender = senders.map(({ dispatcher }) => dispatcher.metrics().sent);
    expect(bySender[0]! + bySender[1]!).toBe(MESSAGES);
    expect(bySender.every((n) => n > 0)).toBe(true);
  }, 90_000);
});
