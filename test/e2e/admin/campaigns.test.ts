import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CampaignService } from '../../../src/campaigns/service.js';
import { Dispatcher } from '../../../src/dispatch/dispatcher.js';
import { systemClock } from '../../../src/domain/time.js';
import { silentLogger } from '../../../src/log.js';
import type { SimulatedTransport } from '../../../src/transport/simulated.js';
import { makeSimulatedTransport, tempDir, testDispatcherSettings } from '../../support/sending.js';
import type { BotMessage } from '../../support/fake-telegram.js';
import { ADMIN, OTHER_ADMIN, useAdminBot } from './harness.js';

const SALE = '50% off (today only) - reply STOP.';
const NEXT_YEAR = new Date().getUTCFullYear() + 1;

const DATA = tempDir('admin-campaigns-data');
let transport: SimulatedTransport;
let campaigns: CampaignService;

const h = useAdminBot(
  'admin_campaigns',
  async ({ store, events }) => {
    const dir = tempDir('admin-campaigns');
    transport = makeSimulatedTransport(dir.path);
    await transport.start();
    const dispatcher = new Dispatcher({
      store,
      transport,
      events,
      log: silentLogger,
      clock: systemClock,
      settings: testDispatcherSettings({ timeZone: 'Europe/Madrid' }),
    });
    campaigns = new CampaignService({
      store,
      events,
      log: silentLogger,
      clock: systemClock,
      rules: { minDelayFloorSeconds: 0 },
      wake: () => dispatcher.wake(),
    });
    await dispatcher.start();
    // The app runs the watcher as an Agenda job; here a short timer does it.
    const watcher = setInterval(() => void campaigns.watch().catch(() => undefined), 150);
    return {
      deps: { transport, campaigns, dispatcher },
      stop: async () => {
        clearInterval(watcher);
        await dispatcher.stop();
        await transport.stop();
        dir.remove();
        DATA.remove();
      },
    };
  },
  {
    MIN_DELAY_FLOOR_SECONDS: '0',
    DEFAULT_MIN_DELAY_SECONDS: '0',
    DEFAULT_MAX_DELAY_SECONDS: '0',
    DATA_DIR: DATA.path,
  },
);

async function seedLeads() {
  await h.store.leads.create({ phone: '+34600000001', name: 'Ana García', status: 'prospect' });
  await h.store.leads.create({ phone: '+34600000002', name: 'Bruno Díaz', status: 'prospect' });
  await h.store.leads.create({ phone: '+34600000003', name: '', status: 'prospect' });
  await h.store.leads.create({ phone: '+34600000004', name: 'Carla Ruiz', status: 'customer' });
}

async function press(message: BotMessage, label: string): Promise<void> {
  const button = h.tg.buttons(message).find((b) => b.text.startsWith(label));
  if (!button) throw new Error(`no button "${label}" under: ${message.text}`);
  h.tg.pressButton(ADMIN, message, button.data);
}

async function next(test: (m: BotMessage) => boolean): Promise<BotMessage> {
  return h.tg.waitFor(ADMIN.id, test, 15_000);
}

describe('/campaign_new, step by step', () => {
  it('schedules a campaign after one wrong answer, sends it, and reports the totals', async () => {
    await seedLeads();
    expect((await h.tg.ask(ADMIN, '/campaign_new')).text).toContain('What is its title?');
    expect((await h.tg.ask(ADMIN, 'Flash sale')).text).toContain('Now the message');

    const preview = await h.tg.ask(ADMIN, `Hi {{first_name|there}}, ${SALE}`);
    expect(preview.text).toBe(`Preview for Ana García:\nHi Ana, ${SALE}`);
    const image = await next((m) => m.text.startsWith('An image with it?'));
    await press(image, 'Skip');

    const target = await next((m) => m.text.startsWith('Who gets it?'));
    await press(target, 'Prospects');
    await next((m) => m.text.startsWith('When should it start?'));
    const wrong = await h.tg.ask(ADMIN, 'next friday');
    expect(wrong.text).toMatch(
      /^"next friday" is not a time I understand: write now, .*\nTry again, or \/cancel to stop\.$/,
    );
    const when = h.tg.messages(ADMIN.id).find((m) => m.text.startsWith('When should it start?'))!;
    await press(when, 'Now');

    const gaps = await next((m) => m.text.startsWith('Gap between two messages'));
    await press(gaps, 'Default (0–0 s)');
    const confirm = await next((m) => m.text.startsWith('Check and confirm'));
    expect(confirm.text).toContain('To: prospects: 3 lead(s) match now');
    expect(confirm.text).toContain(`Message for Ana García:\nHi Ana, ${SALE}`);
    await press(confirm, 'Schedule');

    const scheduled = await next((m) => m.text.startsWith('Scheduled Flash sale'));
    expect(scheduled.text).toContain('starts now');
    const finished = await next((m) => m.text.startsWith('🏁 Campaign Flash sale finished'));
    expect(finished.text).toContain('3 sent, 0 failed of 3');

    const outbox = await transport.readOutbox();
    expect(outbox.map((line) => line.text).sort()).toEqual([
      `Hi Ana, ${SALE}`,
      `Hi Bruno, ${SALE}`,
      `Hi there, ${SALE}`,
    ]);
    const progress = await next((m) => m.text.startsWith('Flash sale: finished'));
    expect(progress.text).toContain('100% (3 of 3)');
    expect(
      h.tg
        .messages(OTHER_ADMIN.id)
        .some((m) => m.text.startsWith('🏁 Campaign Flash sale finished')),
    ).toBe(true);
    const audit = await h.store.audit.recent(100);
    expect(audit.some((e) => e.action === 'campaign.created' && e.adminId === ADMIN.id)).toBe(true);
  }, 60_000);

  it('leaves the wizard on /cancel and saves nothing', async () => {
    const before = await h.store.campaigns.count();
    await h.tg.ask(ADMIN, '/campaign_new');
    await h.tg.ask(ADMIN, 'Never mind');
    expect((await h.tg.ask(ADMIN, '/cancel')).text).toBe('Cancelled: the campaign was not saved.');
    expect(await h.store.campaigns.count()).toBe(before);
  });

  it('takes a photo for the image after refusing a bad link, and keeps the file', async () => {
    await h.tg.ask(ADMIN, '/campaign_new');
    await h.tg.ask(ADMIN, 'With a picture');
    await h.tg.ask(ADMIN, 'Look at this', (m) => m.text.startsWith('An image with it?'));
    const bad = await h.tg.ask(ADMIN, 'www.example.com/sale.jpg');
    expect(bad.text).toBe(
      'Send a photo, an http(s) link to an image, or press Skip.\nTry again, or /cancel to stop.',
    );
    const mark = h.tg.mark();
    h.tg.sendPhoto(ADMIN, { data: Buffer.from('jpeg-bytes') });
    await next((m) => m.messageId > mark && m.text.startsWith('Who gets it?'));

    const uploads = `${DATA.path}/uploads`;
    const [file] = readdirSync(uploads);
    expect(readFileSync(`${uploads}/${file}`, 'utf8')).toBe('jpeg-bytes');
    await h.tg.ask(ADMIN, '/cancel');
  });

  it('refuses a broken template and asks again', async () => {
    await h.tg.ask(ADMIN, '/campaign_new');
    await h.tg.ask(ADMIN, 'Broken');
    const reply = await h.tg.ask(ADMIN, 'Hi {{nmae}}');
    expect(reply.text).toContain(
      'Unknown placeholder {{nmae}}: use {{name}}, {{first_name}} or {{phone}}.',
    );
    await h.tg.ask(ADMIN, '/cancel');
  });
});

describe('/campaign_new on one line', () => {
  it('schedules a campaign with the same checks as the wizard', async () => {
    const reply = await h.tg.ask(
      ADMIN,
      `/campaign_new Spring | {Hi|Hello} {{first_name}}, ${SALE} | ${NEXT_YEAR}-03-05 10:00 | customer vip | 10-30`,
    );
    expect(reply.text).toMatch(
      new RegExp(`^Scheduled Spring: starts \\w+ 5 Mar ${NEXT_YEAR}, 10:00\\.`),
    );
    const stored = (await h.store.campaigns.list(0, 1))[0]!;
    expect(stored).toMatchObject({
      title: 'Spring',
      message: `{Hi|Hello} {{first_name}}, ${SALE}`,
      target: { status: 'customer', tags: ['vip'] },
      minDelaySeconds: 10,
      maxDelaySeconds: 30,
      status: 'scheduled',
    });
    expect(stored.scheduledAt).toEqual(new Date(`${NEXT_YEAR}-03-05T09:00:00Z`));
  });

  it('lists every problem at once and saves nothing', async () => {
    const before = await h.store.campaigns.count();
    const reply = await h.tg.ask(
      ADMIN,
      '/campaign_new Oops | Hi {{nmae}} | yesterday | vips | 1-2',
    );
    expect(reply.text).toContain('Not saved. Fix these and send again:');
    expect(reply.text).toContain('• message: unknown placeholder {{nmae}}');
    expect(reply.text).toContain('• when: "yesterday" is not a time I understand');
    expect(reply.text).toContain('• target: "vips" is not an audience');
    expect(await h.store.campaigns.count()).toBe(before);
  });
});

describe('/campaign and its changes', () => {
  it('shows figures, and the campaign text exactly as written', async () => {
    const campaign = (await h.store.campaigns.list(0, 10)).find((c) => c.title === 'Flash sale')!;
    const reply = await h.tg.ask(ADMIN, `/campaign ${campaign._id}`);
    expect(reply.text).toContain('Flash sale · completed');
    expect(reply.text).toContain(`Message:\nHi {{first_name|there}}, ${SALE}`);
    expect(reply.text).toContain('100% (3 of 3)');
    expect(reply.text).toMatch(/Sent 3 · failed 0 · pending 0/);
  });

  it('shows the top failure reasons of a campaign with failures', async () => {
    transport.inject({ kind: 'not-on-whatsapp', to: '+34600000004' });
    await h.tg.ask(ADMIN, '/campaign_new Customers only | Hello {{name}} | now | customer | 0');
    const finished = await next((m) => m.text.startsWith('🏁 Campaign Customers only finished'));
    expect(finished.text).toContain('0 sent, 1 failed of 1');
    const campaign = (await h.store.campaigns.list(0, 10)).find(
      (c) => c.title === 'Customers only',
    )!;
    const reply = await h.tg.ask(ADMIN, `/campaign ${campaign._id}`);
    expect(reply.text).toMatch(/Top failure reasons:\n• .+ \(1\)/);
  }, 30_000);

  it('refuses to pause a scheduled campaign and names what it can become', async () => {
    const spring = (await h.store.campaigns.list(0, 10)).find((c) => c.title === 'Spring')!;
    const reply = await h.tg.ask(ADMIN, `/campaign_pause ${spring._id}`);
    expect(reply.text).toBe(
      'Not done: a campaign that is scheduled cannot become paused; it can become running or cancelled.',
    );
  });

  it('cancels a scheduled campaign from the button, after asking', async () => {
    const spring = (await h.store.campaigns.list(0, 10)).find((c) => c.title === 'Spring')!;
    const card = await h.tg.ask(ADMIN, `/campaign ${spring._id}`);
    await press(card, 'Cancel campaign');
    const confirm = await next((m) => m.text.startsWith('Cancel Spring?'));
    await press(confirm, 'Yes, cancel it');
    await next((m) => m.text.startsWith('Cancelled Spring'));
    expect((await h.store.campaigns.findById(spring._id))?.status).toBe('cancelled');
  });

  it('says what is wrong with a bad id', async () => {
    const reply = await h.tg.ask(ADMIN, '/campaign_resume 12345');
    expect(reply.text).toContain('"12345" is not a campaign id: copy one from /campaigns.');
  });

  it('sends a test of the rendered message to one number as a system message', async () => {
    const flash = (await h.store.campaigns.list(0, 10)).find((c) => c.title === 'Flash sale')!;
    const reply = await h.tg.ask(ADMIN, `/campaign_test ${flash._id} +34 699 000 111`);
    expect(reply.text).toContain(`queued for +34699000111`);
    await expect
      .poll(async () => (await transport.readOutbox()).find((l) => l.to === '+34699000111')?.text, {
        timeout: 10_000,
      })
      .toBe(`Hi there, ${SALE}`);
    const stored = await h.store.messages.model.findOne({ to: '+34699000111' }).lean();
    expect(stored?.kind).toBe('system');
  });
});

describe('pausing, resuming and cancelling a running campaign', () => {
  it('holds the rest on /campaign_pause, goes on with /campaign_resume, and stops on /campaign_cancel', async () => {
    await h.tg.ask(ADMIN, '/campaign_new Slow | Hello {{first_name}} | now | prospect | 4-4');
    const campaign = (await h.store.campaigns.list(0, 20)).find((c) => c.title === 'Slow')!;
    const id = campaign._id.toHexString();
    await expect
      .poll(async () => (await h.store.campaigns.findById(id))?.status, { timeout: 10_000 })
      .toBe('running');

    const paused = await h.tg.ask(ADMIN, `/campaign_pause ${id}`, (m) =>
      m.text.startsWith('Paused'),
    );
    expect(paused.text).toBe(
      `Paused Slow. Messages not yet sent wait; /campaign_resume ${id} continues.`,
    );
    expect((await h.store.campaigns.findById(id))?.status).toBe('paused');
    const again = await h.tg.ask(ADMIN, `/campaign_pause ${id}`, (m) =>
      m.text.startsWith('Not done'),
    );
    expect(again.text).toContain('a campaign that is paused cannot become paused');

    const resumed = await h.tg.ask(ADMIN, `/campaign_resume ${id}`, (m) =>
      m.text.startsWith('Resumed'),
    );
    expect(resumed.text).toBe('Resumed Slow: it goes on where it stopped.');
    const cancelled = await h.tg.ask(ADMIN, `/campaign_cancel ${id}`, (m) =>
      m.text.startsWith('Cancelled'),
    );
    expect(cancelled.text).toMatch(/^Cancelled Slow: [1-3] message\(s\) will not be sent\.$/);
    expect((await h.store.campaigns.findById(id))?.status).toBe('cancelled');
  }, 30_000);

  it('says when no campaign has the id', async () => {
    const reply = await h.tg.ask(ADMIN, '/campaign 000000000000000000000000');
    expect(reply.text).toBe(
      'There is no campaign with the id 000000000000000000000000; /campaigns lists them.',
    );
  });

  it('refuses a test to a number that is not one', async () => {
    const flash = (await h.store.campaigns.list(0, 20)).find((c) => c.title === 'Flash sale')!;
    const reply = await h.tg.ask(ADMIN, `/campaign_test ${flash._id} call me`);
    expect(reply.text).toBe('Bad number "call me": letters are not allowed.');
  });
});

describe('/campaigns', () => {
  it('pages through campaigns with buttons, editing one message', async () => {
    for (let i = 1; i <= 4; i++) {
      await h.tg.ask(
        ADMIN,
        `/campaign_new Batch ${i} | Hello | ${NEXT_YEAR}-06-0${i} 10:00 | all | 5-10`,
      );
    }
    const total = await h.store.campaigns.count();
    const list = await h.tg.ask(ADMIN, '/campaigns');
    expect(list.text).toContain(`Campaigns (${total}), page 1 of 2`);
    await press(list, 'Older ›');
    await expect
      .poll(() => h.tg.messages(ADMIN.id).find((m) => m.messageId === list.messageId)?.text)
      .toMatch(/page 2 of 2/);
    const edited = h.tg.messages(ADMIN.id).find((m) => m.messageId === list.messageId)!;
    expect(h.tg.buttons(edited).map((b) => b.text)).toContain('‹ Newer');
  });
});
