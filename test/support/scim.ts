/**
 * A private scim2-server for one test file, behind a small HTTP proxy of our own: the proxy can be taken
 * down and brought back on the same port (the service unreachable; scim2-server itself keeps its users in
 * memory, so stopping it would lose them), and can answer 429 Too Many Requests with a Retry-After for a
 * while, as a busy SaaS does (scim2-server never does).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startScimServer, type ScimServer } from '../../src/dev/servers';

export interface ScimProxy {
  /** The SCIM root Tally is given. */
  readonly url: string;
  /** Requests the proxy passed to the service, by method. */
  readonly passed: Record<string, number>;
  /** The paths and queries of the GET requests it passed. */
  readonly gets: string[];
  /** Closes the port and drops open connections: the service can't be reached. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Answers 429 with this Retry-After (seconds) to every request until calm(). */
  busy(retryAfterSeconds: number): void;
  calm(): void;
  /** Answers 412 to the next n writes (PATCH, PUT) with If-Match, as if another client had changed the object. */
  conflicts(n: number): void;
}

function startProxy(target: string): Promise<ScimProxy & { close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const passed: Record<string, number> = {};
  const gets: string[] = [];
  let retryAfter: number | undefined;
  let conflicts = 0;
  const server = http.createServer((req, res) => {
    if (retryAfter !== undefined) {
      res.writeHead(429, { 'content-type': 'application/scim+json', 'retry-after': String(retryAfter) });
      res.end(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', detail: 'Too many requests' }));
      return;
    }
    if (conflicts > 0 && req.headers['if-match'] && (req.method === 'PATCH' || req.method === 'PUT')) {
      conflicts--;
      res.writeHead(412, { 'content-type': 'application/scim+json' });
      res.end(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '412', detail: 'Failed to update. Resource has changed on the server' }));
      return;
    }
    passed[req.method ?? '?'] = (passed[req.method ?? '?'] ?? 0) + 1;
    if (req.method === 'GET') gets.push(req.url ?? '/');
    const upstream = http.request(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let port = 0;
  const listen = () => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  const down = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  return listen().then(() => {
    port = (server.address() as { port: number }).port;
    return {
      url: `http://127.0.0.1:${port}`,
      passed,
      gets,
      down,
      up: listen,
      busy: (seconds) => (retryAfter = seconds),
      calm: () => (retryAfter = undefined),
      conflicts: (n) => (conflicts = n),
      close: () => (server.listening ? down() : Promise.resolve()),
    };
  });
}

export interface TestScim {
  server: ScimServer;
  proxy: ScimProxy;
  /** The bearer token the service takes. */
  token: string;
  /** A request to the service straight (not through the proxy), as another client of it. */
  call(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** scim2-server's own configuration with cursor paging (RFC 9865) on, and the default method. */
export const CURSOR_PAGING = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 1000 },
  changePassword: { supported: true },
  sort: { supported: true },
  etag: { supported: true },
  pagination: { cursor: true, index: true, defaultPaginationMethod: 'cursor', defaultPageSize: 100, maxPageSize: 1000, cursorTimeout: 3600 },
  authenticationSchemes: [{ type: 'oauthbearertoken', name: 'bearer', description: 'HTTP Bearer Token' }],
};

/** `serviceProviderConfig`: what the service announces instead of scim2-server's default (every feature but cursor paging). */
export async function startTestScim(options: { serviceProviderConfig?: object } = {}): Promise<TestScim> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tally-scim-'));
  const token = `scim-${randomBytes(12).toString('hex')}`;
  let serviceProviderConfig: string | undefined;
  if (options.serviceProviderConfig) {
    serviceProviderConfig = path.join(dir, 'service-provider-config.json');
    writeFileSync(serviceProviderConfig, JSON.stringify(options.serviceProviderConfig));
  }
  const server = await startScimServer({ token, logFile: path.join(dir, 'scim2-server.log'), ...(serviceProviderConfig ? { serviceProviderConfig } : {}) });
  const proxy = await startProxy(server.url);
  return {
    server,
    proxy,
    token,
    async call(method, pathAndQuery, body) {
      const response = await fetch(`${server.url}${pathAndQuery}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    async close() {
      await proxy.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
