import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  startEmbeddedServer,
  type EmbeddedServer,
} from '../../src/store/embedded-server.js';
import { signalGroup, startBotProcess, type BotProcess } from '../support/bot-process.js';
import { FakeTelegram } from '../support/fake-telegram.js';

// This test owns its database server, so it can stop and restart it under the bot.
const workDir = mkdtempSync(join(tmpdir(), 'cadence-outage-'));
let server: EmbeddedServer | undefined;
let bot: BotProcess | undefined;
let tg: FakeTelegram | undefined;

afterAll(async () => {
  if (bot?.child.exitCode === null) signalGroup(bot.child, 'SIGKILL');
  await server?.stop();
  await tg?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

async function health(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) }))
      .status;
  } catch {
    return 0;
  }
}

async function waitForHealth(port: number, status: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await health(port)) !== status) {
    if (Date.now() > deadline)
      throw new Error(`/healthz did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the bot when its database goes away', () => {
  it('keeps running, reports 503, and is healthy again once the database is back', async () => {
    const dbPort = await freePort();
    const dataDir = join(workDir, 'db');
    server = await startEmbeddedServer({ dataDir, port: dbPort });
    if (server.kind !== 'ferretdb' && server.kind !== 'mongod') return; // needs a restartable server
    tg = await FakeTelegram.start();
    const httpPort = await freePort();
    bot = await startBotProcess({
      MONGODB_URI: `mongodb://127.0.0.1:${dbPort}/outage`,
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      ADMIN_TELEGRAM_IDS: '1',
      WA_TRANSPORT: 'simulated',
      SIMULATED_OUTBOX: join(workDir, 'outbox.jsonl'),
      SIMULATED_PORT: String(await freePort()),
      HTTP_PORT: String(httpPort),
      DATA_DIR: workDir,
    });
    await waitForHealth(httpPort, 200, 20_000);

    await server.stop();
    await waitForHealth(httpPort, 503, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(bot.child.exitCode).toBeNull();
    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('cadence_transport_ready 1');

    server = await startEmbeddedServer({ dataDir, port: dbPort });
    await waitForHealth(httpPort, 200, 45_000);

    const { code, ms } = await bot.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
  }, 120_000);
});
