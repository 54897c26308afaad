import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, retryOnPortClash } from './ports';
import { runCommand, startServer, type ServerControl } from './process';
import { tools } from './tools';

export interface PostgresOptions {
  /** Holds the cluster (pgdata/), the socket and postgres.log; re-using it keeps the data. */
  dataDir: string;
  port?: number;
  startTimeoutMs?: number;
}

export interface PostgresServer extends ServerControl {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'postgres';
  readonly database: 'postgres';
  readonly connectionString: string;
  readonly dataDir: string;
  readonly logFile: string;
}

interface Account {
  uid: number;
  gid: number;
}

/** initdb and postgres refuse to run as root: when we are root they run as the `postgres` user. */
function postgresAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('startPostgres: running as root but there is no postgres user: run make setup');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function answersQuery(connectionString: string): Promise<boolean> {
  const client = new Client({ connectionString, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  return retryOnPortClash(options, startPostgresOnce);
}

async function startPostgresOnce(options: PostgresOptions): Promise<PostgresServer> {
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'pgdata');
  const logFile = path.join(dataDir, 'postgres.log');
  const port = options.port ?? (await freePort());
  const connectionString = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const account = postgresAccount();

  mkdirSync(dataDir, { recursive: true });
  if (account) chownSync(dataDir, account.uid, account.gid);

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    const initdbArgs = ['-D', clusterDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'];
    if (account) {
      await runCommand('runuser', ['-u', 'postgres', '--', tools.initdb(), ...initdbArgs], { cwd: dataDir });
    } else {
      await runCommand(tools.initdb(), initdbArgs, { cwd: dataDir });
    }
  }

  const control = await startServer(
    {
      name: 'postgres',
      command: tools.postgres(),
      args: [
        '-D', clusterDir,
        '-p', String(port),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `unix_socket_directories=${dataDir}`,
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
      ],
      logFile,
      cwd: dataDir,
      uid: account?.uid,
      gid: account?.gid,
      // SIGTERM is "smart" shutdown (waits for every client to leave); SIGINT is "fast".
      stopSignal: 'SIGINT',
    },
    { probe: () => answersQuery(connectionString), what: `postgres on 127.0.0.1:${port}`, timeoutMs: options.startTimeoutMs },
  );

  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    connectionString,
    dataDir,
    logFile,
    ...control,
  };
}

/** Creates the database if it is missing; returns its URL. */
export async function ensureDatabase(server: Pick<PostgresServer, 'connectionString' | 'port'>, name: string): Promise<string> {
  const client = new Client({ connectionString: server.connectionString });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  return `postgres://postgres@127.0.0.1:${server.port}/${name}`;
}
