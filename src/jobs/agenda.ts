import { Agenda } from 'agenda';
import { MongoBackend } from '@agendajs/mongo-backend';
import type { Connection } from 'mongoose';
import type { Db } from 'mongodb';

export type { Agenda };

/** Options for {@link createAgenda}. */
export interface AgendaOptions {
  /** How often Agenda looks for due jobs, in ms (default 5,000; tests use less). */
  processEveryMs?: number;
  /** Name of this process in job locks. */
  name?: string;
}

/**
 * Agenda on the already open mongoose connection (its `agendaJobs` collection).
 * Passing the connection's Db, not an address, avoids Agenda's own connect, which
 * leaves an unhandled rejection when the first connection fails.
 */
export function createAgenda(connection: Connection, options: AgendaOptions = {}): Agenda {
  const db = connection.db as unknown as Db;
  return new Agenda({
    backend: new MongoBackend({ mongo: db }),
    processEvery: options.processEveryMs ?? 5000,
    name: options.name,
    defaultLockLifetime: 5 * 60_000,
  });
}
