import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ensureDatabase,
  repoRoot,
  startFerretDb,
  startPostgres,
  startSlapd,
  startTemporalDevServer,
  type FerretDbServer,
  type PostgresServer,
  type SlapdServer,
  type TemporalDevServer,
} from '../../src/dev/servers';
import { STACK_FILE_ENV, type StackInfo } from '../support/stack';

export interface RunningStack {
  info: StackInfo;
  stop(): Promise<void>;
}

const dataRoot = path.join(repoRoot, '.data');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Data dirs of earlier runs that died without their teardown. */
function removeAbandonedRuns(): void {
  if (!existsSync(dataRoot)) return;
  for (const entry of readdirSync(dataRoot)) {
    const match = /^test-(\d+)$/.exec(entry);
    if (match && !isAlive(Number(match[1]))) rmSync(path.join(dataRoot, entry), { recursive: true, force: true });
  }
}

type Stoppable = { stop(): Promise<void> };

/** Starts Temporal, FerretDB, slapd and PostgreSQL in parallel; if one fails, stops the others and throws every failure. */
export async function startTestStack(): Promise<RunningStack> {
  removeAbandonedRuns();
  const dataDir = path.join(dataRoot, `test-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // PostgreSQL runs as its own user and must traverse these.
  chmodSync(dataRoot, 0o755);
  chmodSync(dataDir, 0o755);
  const ldapPassword = randomBytes(12).toString('hex');

  // The repository (FerretDB) keeps its documents in a database of the stack's PostgreSQL.
  const startRepository = async (postgres: PostgresServer): Promise<FerretDbServer> =>
    startFerretDb({ dataDir: path.join(dataDir, 'ferretdb'), postgresqlUrl: await ensureDatabase(postgres, 'tally_repository') });
  const results = await Promise.allSettled([
    startTemporalDevServer({ headless: true, logFile: path.join(dataDir, 'temporal', 'temporal.log') }),
    startSlapd({ dataDir: path.join(dataDir, 'slapd'), adminPassword: ldapPassword }),
    startPostgres({ dataDir: path.join(dataDir, 'postgres') }),
  ]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value as Stoppable] : []));
  let mongo: FerretDbServer | undefined;
  const stopAll = async (): Promise<void> => {
    // The repository first: it is a client of PostgreSQL.
    if (mongo) await mongo.stop().catch(() => undefined);
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : []));
  const postgresStarted = results[2];
  if (postgresStarted.status === 'fulfilled') {
    try {
      mongo = await startRepository(postgresStarted.value);
    } catch (e) {
      failures.push(String((e as Error).message ?? e));
    }
  }
  if (failures.length > 0 || !mongo) {
    await stopAll();
    throw new Error(`The test stack did not start (data in ${dataDir}):\n\n${failures.join('\n\n')}`);
  }
  const [temporal, ldap, postgres] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    TemporalDevServer,
    SlapdServer,
    PostgresServer,
  ];

  const info: StackInfo = {
    dataDir,
    temporal: { address: temporal.address, namespace: temporal.namespace },
    mongo: { uri: mongo.uri, port: mongo.port },
    ldap: {
      url: ldap.url,
      port: ldap.port,
      bindDn: ldap.bindDn,
      bindPassword: ldapPassword,
      baseDn: ldap.baseDn,
      peopleDn: ldap.peopleDn,
      accesslogBase: ldap.accesslogBase,
    },
    postgres: {
      host: postgres.host,
      port: postgres.port,
      user: postgres.user,
      database: postgres.database,
      connectionString: postgres.connectionString,
    },
  };
  const stackFile = path.join(dataDir, 'stack.json');
  writeFileSync(stackFile, JSON.stringify(info, null, 2), { mode: 0o600 });
  // Jest workers are forked after globalSetup and inherit this.
  process.env[STACK_FILE_ENV] = stackFile;

  return {
    info,
    stop: async () => {
      await stopAll();
      if (process.env.TALLY_KEEP_TEST_DATA !== '1') rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
