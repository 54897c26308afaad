import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The environment variable naming the JSON file global-setup writes. */
export const STACK_FILE_ENV = 'TALLY_TEST_STACK_FILE';

/** Connection facts of the one real stack global-setup started for this Jest run. */
export interface StackInfo {
  /** The run's scratch root (.data/test-<pid>); removed by global-teardown. */
  dataDir: string;
  temporal: { address: string; namespace: string };
  mongo: { uri: string; port: number };
  ldap: {
    url: string;
    port: number;
    bindDn: string;
    /** Tally's own account (same password): the examples bind with it, so live sync skips its writes. */
    serviceDn: string;
    /** Random per run; test data only. */
    bindPassword: string;
    baseDn: string;
    peopleDn: string;
    /** ou=groups: the examples' groups (cn=pirates) live here. */
    groupsDn: string;
    accesslogBase: string;
  };
  postgres: {
    host: string;
    port: number;
    user: string;
    database: string;
    connectionString: string;
  };
}

/**
 * The Temporal namespace of one Jest worker (1, 2, ...; 1 outside Jest). Test files running side by side
 * apply the same examples, so they start workflows with the same ids (`livesync:<oid>`, `user:<oid>`): as
 * two Tallys, each needs a namespace of its own. Files one after the other in a worker share it.
 */
export function workerNamespace(workerId: string | number = process.env.JEST_WORKER_ID ?? 1): string {
  return `tally-test-${workerId}`;
}

let cached: StackInfo | undefined;

/** The run's stack, with this Jest worker's Temporal namespace. */
export function getStack(): StackInfo {
  if (cached) return cached;
  const file = process.env[STACK_FILE_ENV];
  if (!file) {
    throw new Error(`${STACK_FILE_ENV} is not set: run tests through jest with jest.config.js (globalSetup starts the stack)`);
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as StackInfo;
  cached = { ...info, temporal: { ...info.temporal, namespace: workerNamespace() } };
  return cached;
}

/**
 * A fresh directory under the run's data dir for a test that starts its own private server
 * (e.g. a slapd it will stop to simulate an outage). Removed with the run's data dir.
 */
export function scratchDir(name: string): string {
  const root = path.join(getStack().dataDir, 'scratch');
  mkdirSync(root, { recursive: true });
  return mkdtempSync(path.join(root, `${name}-`));
}
