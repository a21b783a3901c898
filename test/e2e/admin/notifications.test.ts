import { describe, expect, it } from 'vitest';
import type { CampaignFigures } from '../../../src/events.js';
import type { FakeFile } from '../../support/fake-telegram.js';
import { ADMIN, captureLogger, OTHER_ADMIN, useAdminBot } from './harness.js';

const logs = captureLogger();
const h = useAdminBot('admin_notify', () => ({ deps: { log: logs.log } }), {
  FORWARD_REPLIES: 'on',
});

const FIGURES: CampaignFigures = {
  total: 4,
  pending: 4,
  queued: 0,
  sent: 0,
  failed: 0,
  cancelled: 0,
  unknown: 0,
  delivered: 0,
  read: 0,
};

function textsFor(userId: number): string[] {
  return h.tg
    .messages(userId)
    .filter((m) => !m.deleted)
    .map((m) => m.text);
}

describe('notifications to admins', () => {
  it('sends the WhatsApp login QR as a PNG to every admin, replacing the previous one', async () => {
    h.events.emit('wa-qr', 'qr-one');
    const first = await h.tg.waitFor(ADMIN.id, (m) => m.kind === 'photo');
    expect((first.photo as FakeFile).data.subarray(1, 4).toString()).toBe('PNG');
    expect(first.text).toContain('Linked devices');
    await h.tg.waitFor(OTHER_ADMIN.id, (m) => m.kind === 'photo');

    h.events.emit('wa-qr', 'qr-two');
    await h.tg.waitFor(ADMIN.id, (m) => m.kind === 'photo' && m.messageId > first.messageId);
    await expect
      .poll(() => h.tg.messages(ADMIN.id).find((m) => m.messageId === first.messageId)?.deleted)
      .toBe(true);
  });

  it('tells once per change that WhatsApp is ready or disconnected, and removes the QR when ready', async () => {
    h.events.emit('wa-state', 'ready');
    h.events.emit('wa-state', 'ready');
    h.events.emit('wa-state', 'disconnected', 'logged out on the phone');
    h.events.emit('wa-state', 'disconnected');
    await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('⚠️ WhatsApp disconnected'));

    const texts = textsFor(ADMIN.id);
    expect(texts.filter((t) => t.startsWith('✅ WhatsApp is connected'))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('⚠️ WhatsApp disconnected'))).toEqual([
      '⚠️ WhatsApp disconnected (logged out on the phone). Sending waits until it is back; /status shows the state.',
    ]);
    expect(h.tg.messages(ADMIN.id).filter((m) => m.kind === 'photo' && !m.deleted)).toHaveLength(0);
  });

  it('tells when sending pauses and resumes, and when messages wait in /review', async () => {
    h.events.emit('sending-paused', '5 sends failed in a row: WhatsApp <disconnected>');
    h.events.emit('sending-resumed');
    h.events.emit('review-waiting', 2);
    await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('❓'));
    const texts = textsFor(ADMIN.id);
    expect(texts).toContain(
      '⏸ Sending is paused: 5 sends failed in a row: WhatsApp <disconnected>\nFix the cause, then /resume_all.',
    );
    expect(texts).toContain('▶️ Sending resumed.');
    expect(texts).toContain('❓ 2 message(s) may or may not have gone out. Decide in /review.');
  });

  it('passes on what a lead wrote when FORWARD_REPLIES is on', async () => {
    const lead = await h.store.leads.create({ phone: '+34600000009', name: 'Ana <3' });
    h.events.emit('lead-replied', lead._id.toHexString(), 'How much is it? 50% & more?');
    const reply = await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('💬'));
    expect(reply.text).toBe('💬 Ana <3 (+34600000009) wrote: How much is it? 50% & more?');
  });

  it('shows a campaign as one progress message edited in place, then the totals', async () => {
    const campaign = await h.store.campaigns.create({
      title: '50% off (today only) - reply STOP.',
      message: 'Hi',
      scheduledAt: new Date(),
      target: { status: 'all' },
      minDelaySeconds: 5,
      maxDelaySeconds: 10,
      status: 'running',
    });
    const id = campaign._id.toHexString();
    h.events.emit('campaign-started', id, campaign.title, 4);
    for (let sent = 1; sent <= 3; sent++) {
      h.events.emit('campaign-progress', id, {
        ...FIGURES,
        pending: 4 - sent,
        sent,
        delivered: sent - 1,
      });
    }
    const progress = await h.tg.waitFor(ADMIN.id, (m) =>
      m.text.startsWith(`${campaign.title}: sending`),
    );
    await expect
      .poll(() => h.tg.messages(ADMIN.id).find((m) => m.messageId === progress.messageId)?.text, {
        timeout: 5000,
      })
      .toContain('75% (3 of 4)');
    const final = { ...FIGURES, pending: 0, sent: 3, failed: 1, delivered: 3, read: 1 };
    h.events.emit('campaign-finished', id, campaign.title, final);

    const summary = await h.tg.waitFor(ADMIN.id, (m) => m.text.startsWith('🏁'));
    expect(summary.text).toBe(
      `🏁 Campaign ${campaign.title} finished: 3 sent, 1 failed of 4; 3 delivered, 1 read.\nDetails: /campaign ${id}`,
    );
    const shown = h.tg.messages(ADMIN.id).find((m) => m.messageId === progress.messageId)!;
    expect(shown.text).toContain('finished');
    expect(shown.text).toContain('100% (4 of 4)');
    const progressMessages = h.tg
      .messages(ADMIN.id)
      .filter((m) => m.text.startsWith(campaign.title));
    expect(progressMessages).toHaveLength(1);
  });

  it('logs a failure to notify and goes on', async () => {
    h.tg.failNext('sendMessage', { status: 500, description: 'Internal Server Error', times: 2 });
    h.events.emit('sending-resumed');
    await expect
      .poll(() => logs.lines.filter((l) => l.msg === 'could not notify an admin').length)
      .toBeGreaterThanOrEqual(2);
    const reply = await h.tg.ask(ADMIN, '/start');
    expect(reply.text).toContain('Hi Ada');
  });
});
