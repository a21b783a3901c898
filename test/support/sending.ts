import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DispatcherSettings } from '../../src/dispatch/settings.js';
import { ALWAYS_OPEN } from '../../src/domain/send-window.js';
import {
  SimulatedTransport,
  type SimulatedTransportOptions,
} from '../../src/transport/simulated.js';

/** Dispatcher settings for tests: always open, no caps to speak of, short waits. */
export function testDispatcherSettings(
  overrides: Partial<DispatcherSettings> = {},
): DispatcherSettings {
  return {
    ownerId: `test-${Math.random().toString(36).slice(2, 8)}`,
    sendWindow: ALWAYS_OPEN,
    timeZone: 'UTC',
    hourlyCap: 100_000,
    dailyCap: 100_000,
    defaultMinDelaySeconds: 0,
    defaultMaxDelaySeconds: 0,
    sendTimeoutMs: 2_000,
    maxSendAttempts: 3,
    failurePauseThreshold: 5,
    leaseMs: 5_000,
    retryBaseDelayMs: 20,
    maxIdleSleepMs: 200,
    sweepIntervalMs: 1_000,
    stopTimeoutMs: 3_000,
    ...overrides,
  };
}

/** A temporary folder, removed by the returned function. */
export function tempDir(label: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `cadence-${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A simulated transport writing to `<dir>/outbox.jsonl`, acks off unless asked. */
export function makeSimulatedTransport(
  dir: string,
  overrides: Partial<SimulatedTransportOptions> = {},
): SimulatedTransport {
  const outboxPath = join(dir, 'outbox.jsonl');
  return new SimulatedTransport({ outboxPath, ackDelaysMs: false, ...overrides });
}

/** Resolves when `check` returns true, polling every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
