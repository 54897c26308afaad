import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  removePostgresData,
  repoRoot,
  startMongod,
  startPostgres,
  startSlapd,
  startTemporalDevServer,
  type MongodServer,
  type PostgresServer,
  type SlapdServer,
  type TemporalDevServer,
} from '../../src/dev/servers';
import { exampleGroups } from '../../src/dev/dev-stack';
import { STACK_FILE_ENV, workerNamespace, type StackInfo } from '../support/stack';

export interface RunningStack {
  info: StackInfo;
  /** Each server's process id, by server. */
  pids(): Record<'temporal' | 'mongod' | 'slapd' | 'postgres', number | undefined>;
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
    if (match && !isAlive(Number(match[1]))) {
      removePostgresData(path.join(dataRoot, entry, 'postgres'));
      rmSync(path.join(dataRoot, entry), { recursive: true, force: true });
    }
  }
}

type Stoppable = { stop(): Promise<void> };

/**
 * Starts Temporal, mongod, slapd and PostgreSQL in parallel; if one fails, stops the others and throws every
 * failure. Temporal has a namespace with Tally's search attributes for each of `workers` Jest workers;
 * `ldapSeedLdifFile` is loaded into the directory before slapd serves (slapadd: far faster than adds).
 */
export async function startTestStack(options: { workers?: number; ldapSeedLdifFile?: string } = {}): Promise<RunningStack> {
  const namespaces = Array.from({ length: Math.max(1, options.workers ?? 1) }, (_, i) => workerNamespace(i + 1));
  removeAbandonedRuns();
  const dataDir = path.join(dataRoot, `test-${process.pid}`);
  removePostgresData(path.join(dataDir, 'postgres'));
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const ldapPassword = randomBytes(12).toString('hex');

  const results = await Promise.allSettled([
    startTemporalDevServer({
      headless: true,
      namespace: namespaces[0],
      moreNamespaces: namespaces.slice(1),
      logFile: path.join(dataDir, 'temporal', 'temporal.log'),
    }),
    startMongod({ dataDir: path.join(dataDir, 'mongodb') }),
    // The examples' groups: test files apply examples/, whose Pirate role gives membership of cn=pirates.
    startSlapd({ dataDir: path.join(dataDir, 'slapd'), adminPassword: ldapPassword, groups: exampleGroups, seedLdifFile: options.ldapSeedLdifFile }),
    startPostgres({ dataDir: path.join(dataDir, 'postgres') }),
  ]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value as Stoppable] : []));
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : []));
  if (failures.length > 0) {
    await stopAll();
    throw new Error(`The test stack did not start (data in ${dataDir}):\n\n${failures.join('\n\n')}`);
  }
  const [temporal, mongo, ldap, postgres] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
    TemporalDevServer,
    MongodServer,
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
      serviceDn: ldap.serviceDn,
      bindPassword: ldapPassword,
      baseDn: ldap.baseDn,
      peopleDn: ldap.peopleDn,
      groupsDn: ldap.groupsDn,
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
    pids: () => ({ temporal: temporal.pid(), mongod: mongo.pid(), slapd: ldap.pid(), postgres: postgres.pid() }),
    stop: async () => {
      await stopAll();
      if (process.env.TALLY_KEEP_TEST_DATA !== '1') {
        removePostgresData(path.join(dataDir, 'postgres'));
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
