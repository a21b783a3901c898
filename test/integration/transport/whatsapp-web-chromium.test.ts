import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { TransportUnavailableError } from '../../../src/transport/port.js';
import { WhatsAppWebTransport } from '../../../src/transport/whatsapp-web.js';
import { tempDir } from '../../support/sending.js';

const CHROMIUM = '/usr/bin/chromium';
const session = tempDir('wa-session');

afterAll(() => session.remove());

/** Processes whose command line mentions `text` (here: our own session folder). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** The processes still mentioning `text` after they had `graceMs` to exit. */
async function survivorsOf(text: string, graceMs = 5000): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  while (processesMentioning(text).length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return processesMentioning(text);
}

describe.skipIf(!existsSync(CHROMIUM))(
  'whatsapp-web.js on the system Chromium (skipped when /usr/bin/chromium is absent)',
  () => {
    it('starts the browser with our settings, fails cleanly, and closes it', async () => {
      const transport = new WhatsAppWebTransport({
        clientId: 'chromium-test',
        sessionDir: session.path,
        chromiumPath: CHROMIUM,
        log: silentLogger,
      });
      const states: string[] = [];
      transport.on('state', (state) => states.push(state));

      const error = await transport.start().then(
        () => undefined,
        (e: unknown) => e,
      );

      // No network here: the page cannot load web.whatsapp.com.
      expect(error).toBeInstanceOf(TransportUnavailableError);
      expect((error as Error).message).toMatch(/net::ERR_/);
      expect((error as Error).cause).toBeInstanceOf(Error);
      expect(transport.state).toBe('disconnected');
      expect(states).toEqual(['disconnected']);
      expect(existsSync(`${session.path}/session-chromium-test`)).toBe(true);
      // Chromium's helper processes can take a moment to exit after the browser closed.
      expect(await survivorsOf(session.path)).toEqual([]);
      await transport.stop();
    }, 90_000);
  },
);
