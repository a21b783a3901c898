import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, join, resolve } from 'node:path';

/** A database server this process started, with the address to reach it. */
export interface EmbeddedServer {
  uri: string;
  kind: 'ferretdb' | 'mongod' | 'mongodb-memory-server';
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedServer}. */
export interface EmbeddedServerOptions {
  /** Folder for the server's files; created when missing. */
  dataDir: string;
  /** Folders searched for `ferretdb` and `mongod` (default: the PATH). */
  searchPath?: string[];
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
}

/**
 * Starts a local MongoDB-compatible server on 127.0.0.1 and a free port, trying in
 * order: a `ferretdb` binary (SQLite handler, telemetry off), a `mongod` binary, then
 * mongodb-memory-server (which needs to have its binary already). Throws with every
 * reason when none starts.
 */
export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const searchPath = options.searchPath ?? (process.env.PATH ?? '').split(delimiter);
  const reasons: string[] = [];

  const ferretdb = findExecutable('ferretdb', searchPath);
  if (ferretdb) {
    const port = options.port ?? (await freePort());
    const args = [
      '--handler=sqlite',
      `--sqlite-url=file:${dataDir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      `--state-dir=${dataDir}`,
      '--telemetry=disable',
      '--debug-addr=-',
      '--log-level=error',
    ];
    return launch('ferretdb', ferretdb, args, port);
  }
  reasons.push('no ferretdb on the PATH');

  const mongod = findExecutable('mongod', searchPath);
  if (mongod) {
    const port = options.port ?? (await freePort());
    const args = ['--dbpath', dataDir, '--bind_ip', '127.0.0.1', '--port', String(port), '--quiet'];
    return launch('mongod', mongod, args, port);
  }
  reasons.push('no mongod on the PATH');

  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    const server = await MongoMemoryServer.create({
      instance: { dbPath: dataDir, ip: '127.0.0.1' },
    });
    return {
      uri: server.getUri(),
      kind: 'mongodb-memory-server',
      stop: async () => {
        await server.stop();
      },
    };
  } catch (error) {
    reasons.push(`mongodb-memory-server failed: ${(error as Error).message}`);
  }
  throw new Error(
    `No database server could be started (${reasons.join('; ')}). ` +
      'Set MONGODB_URI to a running MongoDB, or build FerretDB with ' +
      'bash scripts/install-ferretdb.sh and put the folder it prints on the PATH',
  );
}

async function launch(
  kind: 'ferretdb' | 'mongod',
  binary: string,
  args: string[],
  port: number,
): Promise<EmbeddedServer> {
  // Its own process group: a Ctrl-C meant for the bot must not stop the database
  // under it before the bot has stopped using it.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`${kind} exited with ${code}: ${stderr.trim()}`)),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port, 20_000), exited]);
  return { uri: `mongodb://127.0.0.1:${port}/`, kind, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    child.kill('SIGTERM');
  });
}

function findExecutable(name: string, folders: string[]): string | null {
  for (const folder of folders) {
    if (!folder) continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the database server did not open port ${port} within ${timeoutMs} ms`);
}
