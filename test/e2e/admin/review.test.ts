import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import { systemClock } from '../../../src/domain/time.js';
import { silentLogger } from '../../../src/log.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeMessage } from '../../support/builders.js';
import type { BotMessage } from '../../support/fake-telegram.js';
import { makeSimulatedTransport, tempDir, testDispatcherSettings } from '../../support/sending.js';
import { ADMIN, useAdminBot } from './harness.js';

let transport: SimulatedTransport;
let dispatcher: Dispatcher;

const h = useAdminBot('admin_review', async ({ store, events }) => {
  const dir = tempDir('admin-review');
  transport = makeSimulatedTransport(dir.path);
  await transport.start();
  dispatcher = new Dispatcher({
    store,
    transport,
    events,
    log: silentLogger,
    clock: systemClock,
    settings: testDispatcherSettings(),
  });
  await dispatcher.start();
  return {
    deps: { transport, dispatcher },
    stop: async () => {
      await dispatcher.stop();
      await transport.stop();
      dir.remove();
    },
  };
});

async function unknownMessage(content: string, to: string) {
  const message = await h.store.messages.insertOne(
    makeMessage({
      kind: 'system',
      campaignId: undefined,
      dedupeKey: `system:review-test:${to}`,
      content,
      to,
      // Not due: the running dispatcher must not claim it before it becomes unknown.
      notBefore: new Date(Date.now() + 60 * 60_000),
    }),
  );
  await h.store.messages.model.updateOne(
    { _id: message!._id },
    { $set: { status: 'unknown', lastError: 'the send was cut off by a restart' } },
  );
  return message!;
}

function press(message: BotMessage, label: string): void {
  const button = h.tg.buttons(message).find((b) => b.text === label)!;
  h.tg.pressButton(ADMIN, message, button.data);
}

describe('/review', () => {
  it('says when there is nothing to review', async () => {
    expect((await h.tg.ask(ADMIN, '/review')).text).toBe(
      'Nothing to review: every message is known to be sent, failed or waiting.',
    );
  });

  it('marks a message sent, or sends it again, from its buttons', async () => {
    const wentOut = await unknownMessage('Winter sale <b>20%</b>', '+34600000101');
    const lost = await unknownMessage('Spring sale', '+34600000102');
    const mark = h.tg.mark();
    h.tg.sendText(ADMIN, '/review');
    const cards = await Promise.all(
      ['Winter sale', 'Spring sale'].map((text) =>
        h.tg.waitFor(ADMIN.id, (m) => m.messageId > mark && m.text.includes(text)),
      ),
    );
    expect(cards[0]!.text).toContain('“Winter sale <b>20%</b>”');
    expect(cards[0]!.text).toContain('Why in doubt: the send was cut off by a restart');

    press(cards[0]!, 'Mark sent');
    press(cards[1]!, 'Send again');
    await h.tg.waitFor(
      ADMIN.id,
      (m) => m.messageId === cards[1]!.messageId && m.text.endsWith('Queued to send again.'),
    );
    await h.tg.waitFor(
      ADMIN.id,
      (m) => m.messageId === cards[0]!.messageId && m.text.endsWith('Marked sent.'),
    );

    expect((await h.store.messages.findById(wentOut._id))?.status).toBe('sent');
    await expect
      .poll(async () => (await transport.readOutbox()).map((l) => l.text), { timeout: 10_000 })
      .toEqual(['Spring sale']);
    const audit = (await h.store.audit.recent(20)).map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['review.marked-sent', 'review.resend']));
  });

  it('changes nothing when a decided message is pressed again', async () => {
    const message = await unknownMessage('Autumn sale', '+34600000103');
    const mark = h.tg.mark();
    h.tg.sendText(ADMIN, '/review');
    const card = await h.tg.waitFor(
      ADMIN.id,
      (m) => m.messageId > mark && m.text.includes('Autumn sale'),
    );
    const first = h.tg.pressButton(ADMIN, card, h.tg.buttons(card)[0]!.data);
    await h.tg.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === first);
    const second = h.tg.pressButton(ADMIN, card, `rv:resend:${message._id}`);
    await h.tg.waitForCall('answerCallbackQuery', (c) => c.params.callback_query_id === second);
    expect(h.tg.callbackAnswers.get(second)?.text).toBe('Already decided: nothing changed.');
    expect((await h.store.messages.findById(message._id))?.status).toBe('sent');
  });
});

describe('/pause_all and /resume_all', () => {
  it('pause and resume the dispatcher, and /status says which', async () => {
    await h.tg.ask(ADMIN, '/pause_all', (m) => m.text.startsWith('Sending paused.'));
    expect(dispatcher.paused).toBe(true);
    const status = (m: BotMessage) => m.text.startsWith('Status');
    expect((await h.tg.ask(ADMIN, '/status', status)).text).toContain(
      'Sending: paused (/resume_all to continue)',
    );
    await h.tg.ask(
      ADMIN,
      '/pause_all',
      (m) => m.text === 'Sending is already paused. /resume_all starts it again.',
    );

    await h.tg.ask(ADMIN, '/resume_all', (m) => m.text === 'Sending resumed.');
    expect(dispatcher.paused).toBe(false);
    expect((await h.tg.ask(ADMIN, '/status', status)).text).toContain('Sending: on');
    const audit = (await h.store.audit.recent(20)).map((e) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['sending.paused', 'sending.resumed']));
  });
});
