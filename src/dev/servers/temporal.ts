import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { freePort, retryOnPortClash } from './ports';
import { spawnServer, waitUntilReady } from './process';
import { tools } from './tools';
import { namespaceState, TALLY_SEARCH_ATTRIBUTES } from '../../runtime/temporal-namespace';

export { TALLY_SEARCH_ATTRIBUTES };

export interface TemporalDevServerOptions {
  /** SQLite file that keeps workflows across restarts; in memory when absent. */
  dbFile?: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  /** The codec server the web UI decodes payloads with (`--ui-codec-endpoint`), e.g. Tally's API. */
  uiCodecEndpoint?: string;
  namespace?: string;
  /** More namespaces to create at the start, each with Tally's search attributes as `namespace` has them. */
  moreNamespaces?: readonly string[];
  /** Where the server's output goes; by default temporal.log next to dbFile, or in a fresh temp dir. */
  logFile?: string;
  /** The CLI needs several seconds on a small machine. */
  startTimeoutMs?: number;
}

export interface TemporalDevServer {
  /** host:port of the frontend gRPC service, for Connection.connect / NativeConnection.connect. */
  readonly address: string;
  readonly port: number;
  readonly namespace: string;
  readonly uiUrl?: string;
  readonly logFile: string;
  isRunning(): boolean;
  /** The server process (for measuring what it costs). */
  pid(): number | undefined;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

async function searchAttributesReady(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    return (await namespaceState(connection, namespace)).missingSearchAttributes.length === 0;
  } finally {
    await connection.close();
  }
}

export async function startTemporalDevServer(options: TemporalDevServerOptions = {}): Promise<TemporalDevServer> {
  return retryOnPortClash(options, startTemporalDevServerOnce);
}

async function startTemporalDevServerOnce(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const namespace = options.namespace ?? 'default';
  const headless = options.headless ?? false;
  const port = options.port ?? (await freePort());
  const uiPort = headless ? undefined : (options.uiPort ?? (await freePort()));
  const address = `127.0.0.1:${port}`;
  const logFile =
    options.logFile ??
    (options.dbFile
      ? path.join(path.dirname(path.resolve(options.dbFile)), 'temporal.log')
      : path.join(mkdtempSync(path.join(os.tmpdir(), 'tally-temporal-')), 'temporal.log'));

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn'];
  if (options.dbFile) {
    mkdirSync(path.dirname(path.resolve(options.dbFile)), { recursive: true });
    args.push('--db-filename', path.resolve(options.dbFile));
  }
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort));
  if (uiPort !== undefined && options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  const namespaces = [namespace, ...(options.moreNamespaces ?? [])];
  for (const name of namespaces.filter((n) => n !== 'default')) args.push('--namespace', name);
  for (const name of TALLY_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);

  const proc = spawnServer({ name: 'temporal', command: tools.temporal(), args, logFile });
  await waitUntilReady(async () => (await Promise.all(namespaces.map((n) => searchAttributesReady(address, n)))).every(Boolean), {
    what: `temporal dev server on ${address}`,
    timeoutMs: options.startTimeoutMs ?? 60_000,
    intervalMs: 250,
    process: proc,
  });

  return {
    address,
    port,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://127.0.0.1:${uiPort}`,
    logFile,
    isRunning: () => proc.isRunning(),
    pid: () => proc.pid,
    stop: () => proc.stop(),
    kill: () => proc.kill(),
  };
}
