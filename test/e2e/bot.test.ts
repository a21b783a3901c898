import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/store/embedded-server.js';
import { connectDatabase, type Connection } from '../../src/store/db.js';
import { signalGroup, startBotProcess, type BotProcess } from '../support/bot-process.js';
import { testServerUri, uniqueDbName, uriWithDb } from '../support/db.js';
import { FakeTelegram, type FakeUser } from '../support/fake-telegram.js';

const ADMIN: FakeUser = { id: 4242, first_name: 'Owner' };

/** 20 leads: 12 prospects, 6 customers, 2 numbers that cannot exist. */
const PROSPECTS = Array.from(
  { length: 12 },
  (_, i) => `+1201555${String(300 + i).padStart(4, '0')}`,
);
const CUSTOMERS = Array.from(
  { length: 6 },
  (_, i) => `+1201555${String(400 + i).padStart(4, '0')}`,
);
const CSV = [
  'phone,name,status',
  ...PROSPECTS.map((phone, i) => `${phone},Prospect ${i + 1},prospect`),
  ...CUSTOMERS.map((phone, i) => `${phone},Customer ${i + 1},customer`),
  '+1 555,Broken One,prospect',
  '12345,Broken Two,customer',
].join('\n');

interface OutboxEntry {
  to: string;
  text: string;
}

let tg: FakeTelegram;
let bot: BotProcess;
let db: Connection;
let workDir: string;
let outboxPath: string;
let httpPort: number;
let inboundPort: number;

function outbox(): OutboxEntry[] {
  if (!existsSync(outboxPath)) return [];
  return readFileSync(outboxPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OutboxEntry);
}

async function until<T>(
  what: string,
  read: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function leadWrites(from: string, text: string): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${inboundPort}/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ from, text }),
  });
  expect(response.status).toBeLessThan(300);
}

beforeAll(async () => {
  tg = await FakeTelegram.start();
  workDir = mkdtempSync(join(tmpdir(), 'cadence-e2e-'));
  outboxPath = join(workDir, 'outbox.jsonl');
  [httpPort, inboundPort] = [await freePort(), await freePort()];
  const dbName = uniqueDbName('e2e_bot');
  const uri = uriWithDb(testServerUri(), dbName);
  db = await connectDatabase(uri, { dbName });

  bot = await startBotProcess({
    MONGODB_URI: uri,
    TELEGRAM_BOT_TOKEN: tg.token,
    TELEGRAM_API_ROOT: tg.apiRoot,
    ADMIN_TELEGRAM_IDS: String(ADMIN.id),
    ADMIN_TIMEZONE: 'America/New_York',
    DEFAULT_COUNTRY: 'US',
    WA_TRANSPORT: 'simulated',
    SIMULATED_OUTBOX: outboxPath,
    SIMULATED_PORT: String(inboundPort),
    HTTP_PORT: String(httpPort),
    DATA_DIR: workDir,
    SEND_WINDOW: '00:00-24:00',
    MIN_DELAY_FLOOR_SECONDS: '0',
    DEFAULT_MIN_DELAY_SECONDS: '0',
    DEFAULT_MAX_DELAY_SECONDS: '1',
  });
}, 90_000);

afterAll(async () => {
  if (bot?.child.exitCode === null) signalGroup(bot.child, 'SIGKILL');
  await db?.dropDatabase().catch(() => undefined);
  await db?.close();
  await tg?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the bot started with npm start, driven only through Telegram and WhatsApp', () => {
  it('imports leads from a CSV sent in the admin chat, reporting the bad rows', async () => {
    tg.sendDocument(ADMIN, { filename: 'leads.csv', content: CSV });
    const report = await tg.waitFor(
      ADMIN.id,
      (m) => m.text.startsWith('Imported leads.csv'),
      30_000,
    );
    expect(report.text).toContain('20 row(s)');
    expect(report.text).toContain('18 new');
    expect(report.text).toMatch(/line 20: bad number "\+1 555"/);
    expect(report.text).toMatch(/line 21: bad number "12345"/);
  });

  it('creates a sequence triggered by "info" with steps on days 1, 2 and 3', async () => {
    const created = await tg.ask(
      ADMIN,
      '/sequence_new Info pack | info | 1 | Day 1: hi {{first_name|there}}, here is our catalogue.',
      (m) => m.text.includes('Info pack'),
    );
    expect(created.text).toContain('Info pack · on');
    const isSequence = (m: { text: string }) => m.text.includes('Info pack');
    await tg.ask(ADMIN, '/step_add Info pack | 2 | Day 2: any questions?', isSequence);
    const done = await tg.ask(
      ADMIN,
      '/step_add Info pack | 3 | Day 3: last call for this week.',
      isSequence,
    );
    expect(done.text).toMatch(/1\. day 1.*\n2\. day 2.*\n3\. day 3, at enrollment time: Day 3/);
  });

  it('sends a campaign for prospects once to each of them and to no customer', async () => {
    const scheduled = await tg.ask(
      ADMIN,
      '/campaign_new Spring | Hello {{first_name}}, spring offer inside. | in 3s | prospect | 0-1',
    );
    expect(scheduled.text).not.toMatch(/problem|cannot|invalid/i);

    await tg.waitFor(ADMIN.id, (m) => m.text.startsWith('🏁 Campaign Spring finished'), 90_000);
    const campaignLines = outbox().filter((line) => line.text.includes('spring offer inside'));
    expect(campaignLines.map((line) => line.to).sort()).toEqual([...PROSPECTS].sort());
    expect(campaignLines.some((line) => CUSTOMERS.includes(line.to))).toBe(false);
    expect(campaignLines.find((line) => line.to === PROSPECTS[0])?.text).toContain(
      'Hello Prospect',
    );
  }, 120_000);

  it('keeps the progress message and the finished summary in the admin chat', () => {
    const texts = tg.messages(ADMIN.id).map((m) => m.text);
    expect(
      texts.some((text) => /^🏁 Campaign Spring finished/.test(text) && text.includes('12 sent')),
    ).toBe(true);
    const progress = tg.messages(ADMIN.id).find((m) => m.text.startsWith('Spring: '));
    expect(progress?.text).toContain('100% (12 of 12)');
  });

  it('sends the day-1 step to a prospect who writes "info"', async () => {
    await leadWrites(PROSPECTS[1]!, 'Info please!');
    const step = await until('the day-1 step', () =>
      outbox().find((line) => line.to === PROSPECTS[1] && line.text.startsWith('Day 1:')),
    );
    expect(step.text).toBe('Day 1: hi Prospect, here is our catalogue.');
  }, 60_000);

  it('confirms STOP once and sends that lead nothing more', async () => {
    const lead = PROSPECTS[2]!;
    await leadWrites(lead, 'info');
    await until('the day-1 step', () =>
      outbox().find((line) => line.to === lead && line.text.startsWith('Day 1:')),
    );
    await leadWrites(lead, 'STOP');
    await until('the opt-out confirmation', () =>
      outbox().find((line) => line.to === lead && /unsubscribed/i.test(line.text)),
    );
    const countAfterStop = outbox().filter((line) => line.to === lead).length;

    await leadWrites(lead, 'info');
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(outbox().filter((line) => line.to === lead)).toHaveLength(countAfterStop);

    // Later steps will not come either: the enrollment is over and the lead opted out.
    const stored = await db.collection('leads').findOne({ phone: lead });
    expect(stored?.optedOutAt).toBeInstanceOf(Date);
    const enrollments = await db
      .collection('sequence_contacts')
      .find({ leadId: stored?._id })
      .toArray();
    expect(enrollments.map((e) => e.status)).toEqual(['stopped']);
  }, 60_000);

  it('answers /healthz with 200', async () => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ok: true,
      checks: { transport: 'simulated ready' },
    });
  });

  it('stops on SIGTERM with status 0 within 10 seconds', async () => {
    const { code, ms } = await bot.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
  }, 15_000);
});
