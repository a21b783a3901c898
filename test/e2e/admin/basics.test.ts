import { describe, expect, it } from 'vitest';
import { ADMIN, OTHER_ADMIN, useAdminBot } from './harness.js';

const h = useAdminBot('admin_basics');

describe('the admin bot', () => {
  it('greets an admin on /start and points to /help and /status', async () => {
    const reply = await h.tg.ask(ADMIN, '/start');
    expect(reply.text).toContain('Hi Ada');
    expect(reply.text).toContain('/help');
  });

  it('lists every command on /help, grouped by topic', async () => {
    const reply = await h.tg.ask(ADMIN, '/help');
    for (const command of [
      '/status',
      '/leads',
      '/lead_add',
      '/export_leads',
      '/review',
      '/pause_all',
    ]) {
      expect(reply.text).toContain(command);
    }
  });

  it('answers commands written as /command@BotName', async () => {
    const reply = await h.tg.ask(ADMIN, `/status@${h.tg.botUsername}`);
    expect(reply.text).toContain('Status');
  });

  it('shows WhatsApp state, queue, sent today, caps and whether sending is paused on /status', async () => {
    h.transport.state = 'disconnected';
    const reply = await h.tg.ask(OTHER_ADMIN, '/status');
    expect(reply.text).toMatch(/WhatsApp: disconnected/);
    expect(reply.text).toMatch(/Queue: 0 waiting/);
    expect(reply.text).toMatch(/Sent today: 0 of 400 · last hour: 0 of 60/);
    expect(reply.text).toMatch(/Sending: not running in this process/);
    expect(reply.text).toMatch(/Send window: 09:00-20:00 \(Europe\/Madrid\)/);
    h.transport.state = 'ready';
  });

  it('suggests the nearest command for a mistyped one', async () => {
    const reply = await h.tg.ask(ADMIN, '/stauts');
    expect(reply.text).toBe(
      'I do not know /stauts. Did you mean /status? /help lists every command.',
    );
  });

  it('says there is nothing to cancel outside a question', async () => {
    const reply = await h.tg.ask(ADMIN, '/cancel');
    expect(reply.text).toBe('There is nothing to cancel.');
  });

  it('says no login is needed on /qr while WhatsApp is ready', async () => {
    const reply = await h.tg.ask(ADMIN, '/qr');
    expect(reply.text).toContain('No login needed');
  });

  it('sends the login QR as an image on /qr while WhatsApp waits for a login', async () => {
    h.transport.state = 'qr';
    h.transport.lastQr = '2@abcdefghijklmnop,qrstuvwxyz,0123456789';
    const reply = await h.tg.ask(ADMIN, '/qr');
    expect(reply.kind).toBe('photo');
    expect((reply.photo as { data: Buffer }).data.subarray(1, 4).toString()).toBe('PNG');
    h.transport.state = 'ready';
  });

  it('writes each admin command to the audit log without phone numbers', async () => {
    await h.tg.ask(ADMIN, '/lead +34 600 111 222');
    const entries = await h.store.audit.recent(50);
    const entry = entries.find(
      (e) => e.action === 'admin.command' && String(e.details?.text).startsWith('/lead '),
    );
    expect(entry).toMatchObject({ adminId: ADMIN.id, details: { text: '/lead …1222' } });
  });

  it('does not pass on what leads write unless FORWARD_REPLIES is on', async () => {
    const lead = await h.store.leads.create({ phone: '+34600000077', name: 'Quiet' });
    h.events.emit('lead-replied', lead._id.toHexString(), 'hello');
    const reply = await h.tg.ask(ADMIN, '/start');
    expect(reply.text).toContain('Hi Ada');
    expect(h.tg.messages(ADMIN.id).some((m) => m.text.includes('wrote: hello'))).toBe(false);
  });
});
