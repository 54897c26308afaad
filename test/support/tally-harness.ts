/**
 * Runs Tally itself (repository, connectors, Temporal client and a real worker) against the shared test
 * stack, in its own database and task queue so test files don't see each other's work.
 */
import { execFile } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server';
import { listenLocally } from './listen';
import { applyConfig, type ApplyResult } from '../../src/admin/apply-config';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { tools } from '../../src/dev/servers';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { NativeConnection } from '@temporalio/worker';
import { loadSettings, type Settings } from '../../src/runtime/settings';
import { openServices, type Services } from '../../src/runtime/services';
import { createTallyWorker } from '../../src/worker';
import { getStack, type StackInfo } from './stack';
import { workflowIds } from '../../src/workflows/workflow-ids';
import { endWorkflowsOfTaskQueue } from './end-workflows';
import { quietSdkLogs } from './quiet-sdk-logs';
import { RepositoryInspector } from './repository-inspector';

import { REPLAY_FIXTURE_KEY } from './replay-fixtures';

export interface TallyHarness {
  stack: StackInfo;
  settings: Settings;
  env: Record<string, string>;
  services: Services;
  /** The repository's raw documents, for assertions the stores have no method for. */
  inspect: RepositoryInspector;
  worker: Worker;
  stop(): Promise<void>;
}

/**
 * Tally's environment for one test file: the shared stack, its own task queue, database and secret key; the
 * Jest worker's Temporal namespace unless another is given.
 */
export function tallyTestEnv(stack: StackInfo, name: string, namespace = stack.temporal.namespace): Record<string, string> {
  const suffix = `${name}-${randomBytes(4).toString('hex')}`;
  return {
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: namespace,
    TALLY_TASK_QUEUE: `tally-${suffix}`,
    MONGODB_URI: stack.mongo.uri,
    TALLY_DATABASE: `tally_${suffix.replace(/-/g, '_')}`,
    // Histories recorded as replay fixtures are encrypted with a fixed key the replay test knows.
    TALLY_SECRET_KEY: process.env.TALLY_RECORD_HISTORIES ? REPLAY_FIXTURE_KEY : randomBytes(24).toString('hex'),
  };
}

/** `env`: more settings for this file's Tally (a shorter claim lease, say). */
export async function startTally(name: string, options: { namespace?: string; env?: Record<string, string> } = {}): Promise<TallyHarness> {
  quietSdkLogs();
  const stack = getStack();
  const env: Record<string, string> = {
    ...tallyTestEnv(stack, name, options.namespace),
    TALLY_LDAP_PASSWORD: stack.ldap.bindPassword,
    TALLY_PG_PASSWORD: 'unused-with-trust-auth',
    ...options.env,
  };
  Object.assign(process.env, env);
  const settings = loadSettings(env);
  const services = await openServices(settings, env);
  const { worker, connection, run } = await createTallyWorker({ settings, services });
  const running = run();
  const inspect = RepositoryInspector.of(settings);
  return {
    stack,
    settings,
    env,
    services,
    inspect,
    worker,
    async stop() {
      // Live syncs and users' workflows are known by id: the examples' resources and users have fixed oids.
      const liveSyncIds = (await services.repo.config.snapshot()).resources.map((r) => workflowIds.liveSync(r.oid));
      const users = await inspect.users.find({}, { projection: { _id: 1 }, limit: 200 });
      const userIds = users.flatMap((u) => [workflowIds.provisionUser(String(u._id)), workflowIds.activationTimer(String(u._id)), workflowIds.deleteUser(String(u._id))]);
      await endWorkflowsOfTaskQueue(services.client, settings.TALLY_TASK_QUEUE, [...liveSyncIds, ...userIds]);
      worker.shutdown();
      await running;
      await (connection as NativeConnection).close();
      await services.close();
      await inspect.close();
    },
  };
}

/**
 * The examples/ configuration with the dev stack's fixed ports replaced by the test stack's, and the
 * LDAP container and SQL table renamed so test files don't share accounts.
 */
export function examplesForStack(stack: StackInfo, isolation: { ldapOu: string; table: string }, options: { sets?: string[] } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-examples-'));
  const source = path.join(__dirname, '..', '..', 'examples');
  // The seeds' folders (and their SQL); the sets of their own (midpoint-sample/, ad/, hr-csv/) only when asked for.
  const own = readdirSync(source).filter((f) => statSync(path.join(source, f)).isDirectory() && !['resources', 'roles', 'templates', 'users', 'sql'].includes(f) && !options.sets?.includes(f));
  cpSync(source, dir, { recursive: true, filter: (from) => !own.some((set) => from === path.join(source, set) || from.startsWith(path.join(source, set) + path.sep)) });
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => (statSync(path.join(d, f)).isDirectory() ? walk(path.join(d, f)) : [path.join(d, f)]));
  for (const file of walk(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const text = readFileSync(file, 'utf8')
      .replaceAll('ldap://127.0.0.1:3890', stack.ldap.url.replace(/\/$/, ''))
      .replaceAll('port: 5433', `port: ${stack.postgres.port}`)
      .replaceAll('ou=people,dc=example,dc=com', `ou=${isolation.ldapOu},dc=example,dc=com`)
      .replaceAll('table: accounts', `table: ${isolation.table}`);
    writeFileSync(file, text);
  }
  return dir;
}

/** Polls until `probe` returns a value that passes `accept`, or fails with the last value seen. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (accept(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

/**
 * With TALLY_RECORD_HISTORIES=1, writes the histories of these workflows to test/replay/histories/ as
 * fixtures for the replay test (run once after a deliberate workflow change, and commit them).
 */
export async function recordHistories(temporal: { address: string; namespace: string }, fixtures: Record<string, string>): Promise<void> {
  if (!process.env.TALLY_RECORD_HISTORIES) return;
  const dir = path.join(__dirname, '..', 'replay', 'histories');
  for (const [name, workflowId] of Object.entries(fixtures)) {
    // The CLI writes the proto-JSON form that historyFromJSON reads back.
    const shown = await promisify(execFile)(
      tools.temporal(),
      ['workflow', 'show', '--workflow-id', workflowId, '--address', temporal.address, '--namespace', temporal.namespace, '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(path.join(dir, `${name}.json`), shown.stdout);
  }
}

/** The HTTP API of this Tally listening on a free loopback port; `url` is its base, without `/api/v1`. */
export async function listenApi(tally: TallyHarness, token: string): Promise<{ api: FastifyInstance; url: string }> {
  const api = buildApi({ services: tally.services, token });
  return { api, url: await listenLocally(api) };
}

/**
 * As `tally apply` does: stores the configuration, then recomputes the users it stored (their
 * provisionUser workflows), waiting for each unless `wait` is false.
 */
export async function applyAndProvision(services: Services, paths: string[], options: { wait?: boolean } = {}): Promise<ApplyResult> {
  const applied = await applyConfig(services.repo, services.key, paths);
  for (const user of applied.usersToProvision) {
    const workflowId = await services.workflows.requestUserProvisioning({ userOid: user.userOid, channel: 'user' });
    if (options.wait !== false) await services.client.workflow.getHandle(workflowId).result();
  }
  return applied;
}
