import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The root logger: JSON lines on stdout. Tokens never reach it (configuration values
 * are not logged) and phone numbers go through `maskPhone` first. Modules take a
 * child: `log.child({ module: 'dispatch' })`.
 */
export function createLogger(level: LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: ['token', '*.token', 'TELEGRAM_BOT_TOKEN', 'MONGODB_URI'],
      censor: '[secret]',
    },
  });
}

/** A logger that drops everything, for tests that do not read logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
