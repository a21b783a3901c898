import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Transport } from './port.js';
import { SimulatedTransport } from './simulated.js';
import { WhatsAppWebTransport } from './whatsapp-web.js';

export * from './port.js';
export { SimulatedTransport, type SimulatedFault, type OutboxLine } from './simulated.js';
export { WhatsAppWebTransport, mapWhatsAppError } from './whatsapp-web.js';

/**
 * The transport WA_TRANSPORT names: `whatsapp-web` (the real account, session in
 * WA_SESSION_DIR, browser at CHROMIUM_PATH) or `simulated` (outbox file
 * SIMULATED_OUTBOX, HTTP on 127.0.0.1:SIMULATED_PORT). Not started yet.
 */
export function createTransport(config: Config, log: Logger): Transport {
  if (config.WA_TRANSPORT === 'simulated') {
    return new SimulatedTransport({
      outboxPath: config.SIMULATED_OUTBOX,
      port: config.SIMULATED_PORT,
      log,
    });
  }
  return new WhatsAppWebTransport({
    clientId: config.WA_CLIENT_ID,
    sessionDir: config.WA_SESSION_DIR,
    chromiumPath: config.CHROMIUM_PATH,
    log,
  });
}
