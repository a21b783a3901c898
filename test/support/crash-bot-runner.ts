import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./crash-bot.ts', import.meta.url));

/** Environment a {@link CrashBot} runs with. */
export interface CrashBotEnv {
  MONGODB_URI: string;
  CADENCE_DB: string;
  OUTBOX: string;
  OWNER_ID: string;
  /** Delay between an outbox write and the send resolving, in ms. */
  CONFIRM_DELAY_MS?: string;
}

/** test/support/crash-bot.ts running in a child process under tsx. */
export class CrashBot {
  private readonly child: ChildProcess;
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(env: CrashBotEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Everything the process wrote so far (stdout and stderr). */
  get log(): string {
    return this.output;
  }

  /** Resolves when the bot printed `ready`; rejects if it exits first or takes too long. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('ready\n')) {
      if (this.child.exitCode !== null) throw new Error(`bot exited early:\n${this.output}`);
      if (Date.now() > deadline) {
        throw new Error(`bot not ready in ${timeoutMs} ms:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the process without warning, as a crash or an OOM kill would. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Asks the process to stop cleanly and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
