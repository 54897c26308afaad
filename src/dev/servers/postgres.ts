import { createHash } from 'node:crypto';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, retryOnPortClash } from './ports';
import { runCommand, startServer, type ServerControl } from './process';
import { tools } from './tools';

export interface PostgresOptions {
  /**
   * Holds the cluster (pgdata/), the socket and postgres.log; re-using it keeps the data. When we are root
   * and the postgres user can't reach it, the cluster and socket live outside (see placeCluster) and
   * pgdata is a link to them: remove the dir with removePostgresData().
   */
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
  /** dataDir/pgdata, or (root, and the postgres user can't reach dataDir) a folder outside it that dataDir/pgdata links to. */
  readonly clusterDir: string;
  readonly logFile: string;
}

interface Account {
  uid: number;
  gid: number;
  home: string;
}

/** initdb and postgres refuse to run as root: when we are root they run as the `postgres` user. */
function postgresAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('startPostgres: running as root but there is no postgres user: run make setup');
  const [, , uid, gid, , home] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), home };
}

/** True when the `postgres` user can enter and write `dir` (every parent traversable, ACLs and groups included). */
async function postgresCanUse(dir: string): Promise<boolean> {
  return runCommand('runuser', ['-u', 'postgres', '--', 'test', '-x', dir, '-a', '-w', dir], { cwd: '/' }).then(
    () => true,
    () => false,
  );
}

/**
 * Where clusters go when the `postgres` user can't reach the wanted data dir (a clone under /root or in
 * any 0700 folder): one folder per wanted dir, owned by postgres, mode 0700, named by a hash of that dir's
 * path, in the postgres user's home (Debian: /var/lib/postgresql, which no tmp cleaner ages) or else
 * /var/tmp. The wanted dir keeps a symlink `pgdata` to it: the cluster is reused only while that link
 * is there (so deleting the wanted dir deletes the data, as for the other servers), and
 * removePostgresData() removes both.
 */
function relocationRoot(account: Account): string {
  const home = account.home && existsSync(account.home) && statSync(account.home).uid === account.uid ? account.home : '';
  return home ? path.join(home, 'tally-clusters') : '/var/tmp/tally-postgres';
}

const OWNER_FILE = 'wanted-dir';

/**
 * The relocated home a wanted dir's `pgdata` link points to, or undefined: no link, or the folder it points
 * to does not name this dir as its owner (e.g. a link copied along with a clone: the original's cluster).
 */
function relocatedHomeOf(dataDir: string): string | undefined {
  try {
    const link = path.join(dataDir, 'pgdata');
    if (!lstatSync(link).isSymbolicLink()) return undefined;
    const home = path.dirname(path.resolve(dataDir, readlinkSync(link)));
    return readFileSync(path.join(home, OWNER_FILE), 'utf8').trim() === realpathSync(dataDir) ? home : undefined;
  } catch {
    return undefined;
  }
}

function postmasterRunning(clusterDir: string): boolean {
  try {
    const pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!pid) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Relocated clusters whose wanted dir is gone or no longer links to them (a test run killed before its cleanup, a deleted clone). */
function removeOrphanedClusters(root: string): void {
  for (const entry of existsSync(root) ? readdirSync(root) : []) {
    const home = path.join(root, entry);
    let wanted: string;
    try {
      wanted = readFileSync(path.join(home, OWNER_FILE), 'utf8').trim();
    } catch {
      continue; // being created, or not ours
    }
    if (relocatedHomeOf(wanted) === home || postmasterRunning(path.join(home, 'pgdata'))) continue;
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Removes a data dir given to startPostgres (stopped first), including a cluster kept outside it because
 * the postgres user could not reach it.
 */
export function removePostgresData(dataDir: string): void {
  const dir = path.resolve(dataDir);
  const home = relocatedHomeOf(dir);
  if (home) rmSync(home, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}

interface ClusterPlace {
  /** The cluster (PG_VERSION, postgresql.conf, ...). */
  clusterDir: string;
  /** unix_socket_directories and the cwd of the server. */
  socketDir: string;
}

/** Where the cluster of `dataDir` lives, made ready for the account that runs the server. */
async function placeCluster(dataDir: string, account: Account | undefined): Promise<ClusterPlace> {
  const inPlace = { clusterDir: path.join(dataDir, 'pgdata'), socketDir: dataDir };
  mkdirSync(dataDir, { recursive: true });
  if (!account) return inPlace;

  const link = path.join(dataDir, 'pgdata');
  const linked = lstatSync(link, { throwIfNoEntry: false });
  if (!linked?.isSymbolicLink()) {
    chownSync(dataDir, account.uid, account.gid);
    if (await postgresCanUse(dataDir)) return inPlace;
    if (linked) {
      throw new Error(
        `startPostgres: the cluster ${link} can't be reached by the postgres user (a parent folder is private); ` +
          'delete it (a new one is made outside the folder) or make its parents traversable',
      );
    }
  }

  const root = relocationRoot(account);
  const wanted = realpathSync(dataDir);
  const home = path.join(root, createHash('sha256').update(wanted).digest('hex').slice(0, 16));
  const clusterDir = path.join(home, 'pgdata');
  const rootStat = lstatSync(root, { throwIfNoEntry: false });
  if (!rootStat) {
    mkdirSync(root, { mode: 0o700 });
    chownSync(root, account.uid, account.gid);
  } else if (!rootStat.isDirectory() || rootStat.uid !== account.uid) {
    throw new Error(`startPostgres: ${root} should be a directory owned by the postgres user`);
  }
  removeOrphanedClusters(root);

  if (relocatedHomeOf(dataDir) !== home || !existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    // No link to this home: whatever is there belongs to an earlier dir of the same path that was deleted.
    rmSync(link, { force: true });
    rmSync(home, { recursive: true, force: true });
    // The link first, so a concurrent orphan sweep never sees the new home without its link.
    symlinkSync(clusterDir, link);
    mkdirSync(home, { mode: 0o700 });
    writeFileSync(path.join(home, OWNER_FILE), `${wanted}\n`);
    chownSync(home, account.uid, account.gid);
  }
  return { clusterDir, socketDir: home };
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
  const logFile = path.join(dataDir, 'postgres.log');
  const port = options.port ?? (await freePort());
  const connectionString = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const account = postgresAccount();
  const { clusterDir, socketDir } = await placeCluster(dataDir, account);

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    const initdbArgs = ['-D', clusterDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'];
    if (account) {
      await runCommand('runuser', ['-u', 'postgres', '--', tools.initdb(), ...initdbArgs], { cwd: socketDir });
    } else {
      await runCommand(tools.initdb(), initdbArgs, { cwd: socketDir });
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
        '-c', `unix_socket_directories=${socketDir}`,
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
      ],
      logFile,
      cwd: socketDir,
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
    clusterDir,
    logFile,
    ...control,
  };
}
