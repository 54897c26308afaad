import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { freePort } from './ports';
import { spawnServer, waitUntilReady, type ManagedProcess } from './process';
import { tools } from './tools';

export interface FerretDbOptions {
  /** Holds the SQLite databases (sqlite/) and ferretdb.log; re-using it keeps the data. */
  dataDir: string;
  port?: number;
  startTimeoutMs?: number;
}

/** FerretDB 1.24 on SQLite: a MongoDB-wire-protocol repository without a MongoDB server. */
export interface FerretDbServer {
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  isRunning(): boolean;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Starts again on the same port and data (stopping first if still running). */
  restart(): Promise<void>;
}

async function answersPing(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function startFerretDb(options: FerretDbOptions): Promise<FerretDbServer> {
  const dataDir = path.resolve(options.dataDir);
  const sqliteDir = path.join(dataDir, 'sqlite');
  const logFile = path.join(dataDir, 'ferretdb.log');
  const port = options.port ?? (await freePort());
  const uri = `mongodb://127.0.0.1:${port}/`;
  mkdirSync(sqliteDir, { recursive: true });

  let proc: ManagedProcess | undefined;
  const launch = async (): Promise<void> => {
    proc = spawnServer({
      name: 'ferretdb',
      command: tools.ferretdb(),
      args: ['--port', String(port), '--data-dir', sqliteDir, '--log-level', 'warn'],
      logFile,
    });
    await waitUntilReady(() => answersPing(uri), {
      what: `ferretdb on 127.0.0.1:${port}`,
      timeoutMs: options.startTimeoutMs ?? 30_000,
      process: proc,
    });
  };
  await launch();

  return {
    uri,
    port,
    dataDir,
    logFile,
    isRunning: () => proc?.isRunning() ?? false,
    stop: async () => proc?.stop(),
    kill: async () => proc?.kill(),
    restart: async () => {
      await proc?.stop();
      await launch();
    },
  };
}
