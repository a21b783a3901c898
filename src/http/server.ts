import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

/** The result of a health check: `ok` with the state of each part, and why not when not. */
export interface Health {
  ok: boolean;
  checks: Record<string, string>;
  problems: string[];
}

/** What the HTTP server serves. */
export interface HttpDeps {
  host: string;
  port: number;
  log: Logger;
  health(): Promise<Health>;
  /** Prometheus text exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Another handler tried first (the Telegram webhook); returns false when not its path. */
  extra?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** A running HTTP server with its bound port. */
export interface HttpHandle {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` (200 when every part is up, else 503 with the reasons, as
 * JSON) and `GET /metrics` (Prometheus text) on `host:port`; 127.0.0.1 unless
 * configured otherwise.
 */
export async function startHttpServer(deps: HttpDeps): Promise<HttpHandle> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = async () => {
      if (deps.extra?.(request, response)) return;
      if (request.method !== 'GET') {
        response.writeHead(405, { allow: 'GET' }).end();
      } else if (path === '/healthz') {
        const health = await deps.health();
        response
          .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(health));
      } else if (path === '/metrics') {
        const { contentType, body } = await deps.metrics();
        response.writeHead(200, { 'content-type': contentType }).end(body);
      } else {
        response
          .writeHead(404, { 'content-type': 'text/plain' })
          .end('not found: try /healthz or /metrics\n');
      }
    };
    reply().catch((error: Error) => {
      deps.log.error({ err: error, path }, 'http request failed');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });

  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(deps.port, deps.host, () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : deps.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
