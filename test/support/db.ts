import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { connectDatabase, type Connection } from '../../src/store/db.js';
import { createStore, ensureIndexes, type Store } from '../../src/store/index.js';

/** The test server's address, with no database name. */
export function testServerUri(): string {
  return inject('mongoUri');
}

/** A database name no other test file uses. */
export function uniqueDbName(label: string): string {
  return `t_${label.replace(/[^a-z0-9]/gi, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

/**
 * Gives the test file its own database on the shared test server, with every index,
 * and drops it when the file ends. Read `.store` inside tests and hooks.
 */
export function useTestStore(label: string): { readonly store: Store; readonly dbName: string } {
  const state = { store: undefined as unknown as Store, dbName: uniqueDbName(label) };
  let connection: Connection;

  beforeAll(async () => {
    connection = await connectDatabase(testServerUri(), { dbName: state.dbName });
    state.store = createStore(connection);
    await ensureIndexes(state.store);
  });

  afterAll(async () => {
    await connection?.dropDatabase().catch(() => undefined);
    await connection?.close();
  });

  return state;
}

/** `uri` with its database name set to `dbName` (any name or options it had are kept otherwise). */
export function uriWithDb(uri: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(uri);
  if (!match) throw new Error(`not a MongoDB address: ${uri}`);
  return `${match[1]}/${dbName}${match[3] ?? ''}`;
}
