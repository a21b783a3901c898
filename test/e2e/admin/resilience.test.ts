import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdminBot, type AdminBot } from '../../../src/admin/bot.js';
import type { AdminDeps } from '../../../src/admin/context.js';
import { AppEvents } from '../../../src/events.js';
import { useTestStore } from '../../support/db.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import {
  ADMIN,
  captureLogger,
  collectionCounts,
  FAST_POLLING,
  testConfig,
  TestTransport,
} from './harness.js';

const db = useTestStore('admin_resilience');
const SECRET = 'a-webhook-secret-of-32-characters';

let tg: FakeTelegram;
let bot: AdminBot | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  tg = await FakeTelegram.start();
});

afterEach(async () => {
  await bot?.stop();
  bot = undefined;
  tg.suspend(false);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await tg.stop();
});

function deps(overrides: Partial<AdminDeps> = {}, config: Record<string, string> = {}): AdminDeps {
  return {
    config: testConfig(tg, config),
    store: db.store,
    events: new AppEvents(),
    log: captureLogger().log,
    transport: new TestTransport(),
    ...overrides,
  };
}

describe('while Telegram is unreachable', () => {
  it('starts without throwing, retries with backoff, and answers once Telegram is back', async () => {
    const logs = captureLogger();
    tg.suspend();
    bot = createAdminBot(deps({ log: logs.log }), FAST_POLLING);
    await expect(bot.start()).resolves.toBeUndefined();
    await expect
      .poll(() => logs.lines.some((l) => l.msg === 'Telegram call failed; retrying'))
      .toBe(true);

    tg.suspend(false);
    const reply = await tg.ask(ADMIN, '/start');
    expect(reply.text).toContain('Hi Ada');
    expect(logs.lines.some((l) => l.msg === 'Telegram reachable again')).toBe(true);
    expect(unhandled).toEqual([]);
  });
});

describe('when another process polls the same token (409)', () => {
  it('keeps retrying without throwing and answers when the other one is gone', async () => {
    const logs = captureLogger();
    bot = createAdminBot(deps({ log: logs.log }), FAST_POLLING);
    tg.failNext('getUpdates', {
      status: 409,
      description:
        'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      times: 3,
    });
    await bot.start();
    const reply = await tg.ask(ADMIN, '/start');
    expect(reply.text).toContain('Hi Ada');
    const warning = logs.lines.find((l) => l.msg === 'Telegram call failed; retrying');
    expect(String(warning?.reason)).toContain('another process is polling this bot token');
    expect(unhandled).toEqual([]);
  });
});

describe('with a webhook', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/hook`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function startWebhookBot(): Promise<AdminBot> {
    const started = createAdminBot(
      deps({}, { WEBHOOK_URL: url, WEBHOOK_SECRET: SECRET }),
      FAST_POLLING,
    );
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      if (!started.webhook!.handle(req, res)) res.writeHead(404).end();
    });
    await started.start();
    return started;
  }

  it('registers the webhook with its secret and answers updates Telegram posts', async () => {
    bot = await startWebhookBot();
    const set = await tg.waitForCall('setWebhook');
    expect(set.params).toMatchObject({ url, secret_token: SECRET });

    const reply = await tg.ask(ADMIN, '/start');
    expect(reply.text).toContain('Hi Ada');
  });

  it('refuses a call without the right secret and handles nothing', async () => {
    bot = await startWebhookBot();
    const before = await collectionCounts(db.store);
    const update = {
      update_id: 999,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: ADMIN.id, type: 'private' },
        from: { ...ADMIN, is_bot: false },
        text: '/lead_add +34600777888',
      },
    };
    for (const secret of [undefined, 'wrong-secret-of-enough-length!!', `${SECRET}x`]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (secret) headers['x-telegram-bot-api-secret-token'] = secret;
      const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(update) });
      expect(response.status).toBe(401);
    }
    expect((await fetch(url)).status).toBe(405);
    expect(await collectionCounts(db.store)).toEqual(before);
  });
});

describe('when a handler fails', () => {
  it('answers with a short reference, never a stack trace, and logs the update id', async () => {
    const logs = captureLogger();
    const broken = new TestTransport();
    Object.defineProperty(broken, 'state', {
      get() {
        throw new Error('transport state exploded at /secret/path.ts:42');
      },
    });
    bot = createAdminBot(deps({ log: logs.log, transport: broken }), FAST_POLLING);
    await bot.start();

    const reply = await tg.ask(ADMIN, '/status');
    expect(reply.text).toMatch(/^Something went wrong on my side \(reference [0-9a-f]{6}\)\./);
    expect(reply.text).not.toContain('exploded');
    const reference = /reference ([0-9a-f]{6})/.exec(reply.text)![1];
    const logged = logs.lines.find((l) => l.msg === 'an admin update failed');
    expect(logged).toMatchObject({ reference, updateId: expect.any(Number) });

    expect((await tg.ask(ADMIN, '/start')).text).toContain('Hi Ada');
  });
});
