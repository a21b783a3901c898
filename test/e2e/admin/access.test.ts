import { describe, expect, it } from 'vitest';
import { makeMessage } from '../../support/builders.js';
import { ADMIN, collectionCounts, STRANGER, useAdminBot } from './harness.js';

const h = useAdminBot('admin_access');

async function seedUnknownMessage() {
  const message = await h.store.messages.insertOne(
    makeMessage({ content: 'Winter sale: 20% off' }),
  );
  await h.store.messages.model.updateOne({ _id: message!._id }, { $set: { status: 'unknown' } });
  return message!;
}

describe('a stranger', () => {
  it('gets at most one short refusal for a command, a message, a copied button and a document, and nothing is written', async () => {
    const message = await seedUnknownMessage();
    const mark = h.tg.mark();
    h.tg.sendText(ADMIN, '/review');
    const card = await h.tg.waitFor(
      ADMIN.id,
      (m) => m.messageId > mark && h.tg.buttons(m).length > 0,
    );
    const copied = h.tg.buttons(card).find((b) => b.text === 'Mark sent')!.data;
    await h.tg.waitUntilDelivered();
    const before = await collectionCounts(h.store);

    h.tg.sendText(STRANGER, '/lead_add +34 600 999 888 | Mallory');
    h.tg.sendText(STRANGER, 'hello, can I use this bot?');
    const pressed = h.tg.pressButton(
      STRANGER,
      { chatId: ADMIN.id, messageId: card.messageId },
      copied,
    );
    h.tg.sendDocument(STRANGER, { filename: 'leads.csv', content: 'phone\n+34600999777\n' });
    h.tg.sendPhoto(STRANGER, { caption: '/campaign_new' });
    await h.tg.waitUntilDelivered();
    // One more admin round trip: every stranger update has been handled by then.
    await h.tg.ask(ADMIN, '/start');

    const replies = h.tg.messages(STRANGER.id);
    expect(replies.map((m) => m.text)).toEqual(['This bot is private.']);
    expect(h.tg.callbackAnswers.get(pressed)?.text ?? 'no answer').toMatch(
      /This bot is private\.|no answer/,
    );
    expect((await h.store.messages.findById(message._id))?.status).toBe('unknown');
    expect(await h.store.leads.findByPhone('+34600999888')).toBeNull();
    expect(await collectionCounts(h.store)).toEqual({
      ...before,
      audit_log: before.audit_log! + 1, // the admin's /start
    });
  });

  it('is refused on a button press even as the first thing they send', async () => {
    const message = await seedUnknownMessage();
    const intruder = { id: 7777, first_name: 'Mal' };
    const before = await collectionCounts(h.store);

    const pressed = h.tg.pressButton(
      intruder,
      { chatId: intruder.id, messageId: 1 },
      `rv:sent:${message._id}`,
    );
    await h.tg.waitForCall(
      'answerCallbackQuery',
      (call) => call.params.callback_query_id === pressed,
    );

    expect(h.tg.callbackAnswers.get(pressed)?.text).toBe('This bot is private.');
    expect((await h.store.messages.findById(message._id))?.status).toBe('unknown');
    expect(await collectionCounts(h.store)).toEqual(before);
  });
});

describe('an admin outside a private chat', () => {
  it('is asked to use a private chat and nothing runs', async () => {
    const group = { id: -100123, type: 'group' as const, title: 'Team' };
    const before = await collectionCounts(h.store);
    h.tg.sendText(ADMIN, '/lead_add +34 600 999 111', group);
    const reply = await h.tg.waitFor(group.id, () => true);
    expect(reply.text).toBe('Talk to me in a private chat, please.');
    expect(await collectionCounts(h.store)).toEqual(before);
  });
});
