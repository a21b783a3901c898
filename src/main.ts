import { loadConfigOrExit } from './config.js';
import { createLogger } from './log.js';
import { startApp } from './app.js';

/** Longest a clean stop may take before the process exits anyway, in ms. */
const STOP_DEADLINE_MS = 9000;

const config = loadConfigOrExit();
const log = createLogger(config.LOG_LEVEL);

process.on('unhandledRejection', (reason) => {
  log.error({ err: reason }, 'unhandled promise rejection');
});

const app = await startApp(config, log).catch((error: Error) => {
  log.fatal({ err: error }, `cadence could not start: ${error.message}`);
  process.exit(1);
});

/**
 * A Ctrl-C in a terminal reaches the bot twice at once: from the terminal (the whole
 * process group) and forwarded by npm. Signals this close to the first are the same
 * request; a later one means "now".
 */
const DUPLICATE_SIGNAL_MS = 1000;
let stoppingSince: number | undefined;

const stop = (signal: NodeJS.Signals) => {
  if (stoppingSince !== undefined) {
    if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
    log.warn({ signal }, 'second signal: exiting at once');
    process.exit(1);
  }
  stoppingSince = Date.now();
  log.info({ signal }, 'stopping');
  const deadline = setTimeout(() => {
    log.error('clean stop took too long: exiting');
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  app
    .stop()
    .then(() => {
      log.info('stopped');
      process.exit(0);
    })
    .catch((error: Error) => {
      log.error({ err: error }, 'stop failed');
      process.exit(1);
    });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
