import mongoose, { type Connection } from 'mongoose';

export type { Connection };

/** Options for {@link connectDatabase}. */
export interface ConnectOptions {
  /** Database name; defaults to the one in the URI, else `cadence`. */
  dbName?: string;
  /** How long the first connection may take before failing, in ms (default 10,000). */
  serverSelectionTimeoutMs?: number;
}

/**
 * Opens a mongoose connection of our own (not the global one, so one process can hold
 * several, as tests and benchmarks do). The driver reconnects by itself after a drop;
 * operations issued meanwhile wait up to `serverSelectionTimeoutMs`.
 */
export async function connectDatabase(
  uri: string,
  options: ConnectOptions = {},
): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    dbName: options.dbName ?? (dbNameFromUri(uri) || 'cadence'),
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
    autoIndex: false,
    autoCreate: false,
  });
  await connection.asPromise();
  return connection;
}

function dbNameFromUri(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : '';
}
