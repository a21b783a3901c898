import type { Connection } from 'mongoose';
import type { Agenda } from '../jobs/agenda.js';
import type { Transport } from '../transport/port.js';
import type { Health } from './server.js';

/** The recurring job whose last run proves the jobs are running (every 5 s). */
const HEARTBEAT_JOB = 'campaign-watch';
/** How old the heartbeat job's last run may be before jobs count as stalled, in ms. */
const JOBS_STALE_MS = 2 * 60_000;
const DB_PING_TIMEOUT_MS = 2000;

/** What {@link checkHealth} looks at. */
export interface HealthDeps {
  connection: Connection;
  transport: Pick<Transport, 'state' | 'name'>;
  agenda: Agenda;
  /** When the jobs were started (wall clock, as Agenda records runs); unset while starting. */
  jobsStartedAt?: Date;
}

/**
 * Healthy when the database answers a ping, the transport is `ready`, and the
 * recurring campaign watcher has run within two minutes. Each problem is named.
 */
export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const checks: Record<string, string> = {};
  const problems: string[] = [];

  try {
    await withTimeout(deps.connection.db!.admin().ping(), DB_PING_TIMEOUT_MS);
    checks.database = 'reachable';
  } catch (error) {
    checks.database = 'unreachable';
    problems.push(`database: ${(error as Error).message}`);
  }

  checks.transport = `${deps.transport.name} ${deps.transport.state}`;
  if (deps.transport.state !== 'ready') {
    const hint = deps.transport.state === 'qr' ? ' (scan the QR sent to the admins)' : '';
    problems.push(`whatsapp: ${deps.transport.state}${hint}`);
  }

  if (!deps.jobsStartedAt) {
    checks.jobs = 'not started yet';
    problems.push('jobs: not started yet');
  } else if (checks.database === 'reachable') {
    const result = await deps.agenda.queryJobs({ name: HEARTBEAT_JOB, limit: 1 }).catch(() => null);
    const lastRunAt = result?.jobs[0]?.lastRunAt ?? deps.jobsStartedAt;
    const ageMs = Date.now() - new Date(lastRunAt).getTime();
    checks.jobs = `last run ${Math.round(ageMs / 1000)} s ago`;
    if (ageMs > JOBS_STALE_MS)
      problems.push('jobs: the recurring jobs have not run for two minutes');
  }
  return { ok: problems.length === 0, checks, problems };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
