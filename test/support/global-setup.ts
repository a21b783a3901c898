import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/store/embedded-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

/**
 * Uses MONGODB_URI when set; otherwise starts a local server (ferretdb, mongod, or
 * mongodb-memory-server) in a temporary folder for the whole run, and stops it after.
 */
export default async function setup(project: TestProject) {
  const given = process.env.MONGODB_URI;
  if (given) {
    project.provide('mongoUri', given);
    return;
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'cadence-test-db-'));
  const server: EmbeddedServer = await startEmbeddedServer({ dataDir });
  project.provide('mongoUri', server.uri);
  return async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
