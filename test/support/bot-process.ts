import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A Cadence process started with `npm start`, and what it printed. */
export interface BotProcess {
  child: ChildProcess;
  /** Every stdout and stderr line so far. */
  lines: string[];
  /** Sends `signal` and resolves with the exit code and how long the exit took, in ms. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/**
 * Runs `npm start` in the repository with `env` on top of a minimal environment and
 * waits until it logs that its HTTP server listens (or exits, or `timeoutMs` passes).
 */
export async function startBotProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<BotProcess> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: new URL('../..', import.meta.url).pathname,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, signalled as a whole as a terminal does: killing npm
    // alone would leave the bot running.
    detached: true,
  });
  const lines: string[] = [];
  const collect = (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);

  const exited = once(child, 'exit');
  const deadline = Date.now() + timeoutMs;
  while (!lines.some((line) => line.includes('http server listening'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      signalGroup(child, 'SIGKILL');
      throw new Error(`the bot did not start; it printed:\n${lines.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    child,
    lines,
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      if (child.exitCode === null) signalGroup(child, signal);
      const [code] = (await exited) as [number | null];
      return { code, ms: Date.now() - started };
    },
  };
}

/** Sends `signal` to the process group `child` leads (npm and the bot under it). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}
