/**
 * Whole-resource runs under trouble, on the real servers: 2,000 LDAP accounts imported while the worker
 * process is SIGKILLed; a reconciliation while MongoDB restarts; a reconciliation split into buckets and
 * shared by two worker processes, with a second start joined or refused. Each ends in the state an
 * undisturbed run gives: every account once, nothing skipped, nothing doubled.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Change, Attribute, Client as LdapClient } from 'ldapts';
import { WorkflowFailedError } from '@temporalio/client';
import { applyConfig } from '../../../src/admin/apply-config';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { rootCause } from '../../../src/admin/root-cause';
import { startMongod, type MongodServer } from '../../../src/dev/servers';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { withConcurrency } from '../../../src/support/concurrency';
import type { RunSummary } from '../../../src/workflows/resource-run';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';
import { RepositoryInspector } from '../../support/repository-inspector';
import { getStack, scratchDir } from '../../support/stack';
import { addFocusLinkSynchronizeUnlink, ldapResourceYaml } from '../../support/ldap-resource-yaml';

const ACCOUNTS = 2_000;
const resourceOid = randomUUID();
const ou = `bulk-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;
const uidOf = (i: number) => `pirate${String(i).padStart(5, '0')}`;

let mongod: MongodServer;
let services: Services;
let inspect: RepositoryInspector;
let env: Record<string, string>;
let ldap: LdapClient;
const workers: ChildProcess[] = [];

function resourceYaml(): string {
  return ldapResourceYaml({
    oid: resourceOid,
    name: 'Bulk LDAP',
    ldap: getStack().ldap,
    base,
    attributes: `        - ref: cn
          inbound: { target: { path: $user/fullName } }
        - ref: sn
          inbound: { target: { path: $user/familyName } }
`,
    tail: addFocusLinkSynchronizeUnlink,
  });
}

async function startWorker(): Promise<ChildProcess> {
  const child = await startWorkerProcess(env);
  workers.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function renameBehindTheBack(from: number, to: number, fullName: (i: number) => string): Promise<void> {
  const indexes = Array.from({ length: to - from }, (_, k) => from + k);
  await withConcurrency(indexes, 16, async (i) => {
    await ldap.modify(`uid=${uidOf(i)},${base}`, [new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [fullName(i)] }) })]);
  });
}

/** The latest run of the workflow id (`tally reconcile` reuses one id per resource). */
async function runOf(workflowId: string) {
  return (await inspect.runs.find({ workflowId }, { sort: { startedAt: -1 }, limit: 1 }))[0] ?? null;
}

beforeAll(async () => {
  const stack = getStack();
  mongod = await startMongod({ dataDir: scratchDir('recon-mongod'), cacheSizeGB: 0.25 });
  env = { ...tallyTestEnv(stack, 'bulk'), MONGODB_URI: mongod.uri, TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  services = await openServices(loadSettings(env), env);
  inspect = RepositoryInspector.of(services.settings);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-bulk-'));
  writeFileSync(path.join(dir, 'resource.yaml'), resourceYaml());
  await applyConfig(services.repo, services.key, [dir]);

  ldap = new LdapClient({ url: stack.ldap.url });
  await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  const indexes = Array.from({ length: ACCOUNTS }, (_, i) => i);
  await withConcurrency(indexes, 16, async (i) => {
    await ldap.add(`uid=${uidOf(i)},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: uidOf(i), cn: `Pirate ${i}`, sn: `${i}` });
  });
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.filter((w) => w.exitCode === null && w.signalCode === null).map(kill));
  await ldap?.unbind();
  await services?.close();
  await inspect?.close();
  await mongod?.stop();
});

test(`import of ${ACCOUNTS} accounts with the worker SIGKILLed mid-run: every account becomes one linked user`, async () => {
  const first = await startWorker();
  // Small pages, so the kill comes with most of the work still to do.
  const started = await startResourceRun(services, { type: 'import', resource: 'Bulk LDAP', pageSize: 20 });
  await eventually(() => inspect.users.count({}), (n) => n >= 200, 'the import to be under way', 120_000);
  await kill(first);
  expect((await runOf(started.workflowId))!.state).toBe('running');

  await startWorker();
  const summary = await waitForRun(services, started.workflowId, () => undefined);
  expect(summary.errors).toBe(0);
  expect(summary.seen).toBeGreaterThanOrEqual(ACCOUNTS); // a page redone after the kill is seen twice

  const users = await inspect.users.find({}, { projection: { _id: 0, name: 1, fullName: 1, familyName: 1, linkRef: 1 } });
  expect(users).toHaveLength(ACCOUNTS);
  const byName = new Map(users.map((u) => [u.name, u]));
  for (let i = 0; i < ACCOUNTS; i++) {
    expect(byName.get(uidOf(i))).toMatchObject({ fullName: `Pirate ${i}`, familyName: `${i}`, linkRef: [expect.any(String)] });
  }
  const shadows = await inspect.shadows.count({ resourceRef: resourceOid, situation: 'linked', ownerRef: { $ne: null } });
  expect(shadows).toBe(ACCOUNTS);
  expect(await inspect.shadows.count({})).toBe(ACCOUNTS);
}, 300_000);

test('a reconciliation while MongoDB restarts waits for it, then finishes with every change applied', async () => {
  await renameBehindTheBack(0, 300, (i) => `Captain ${i}`);
  const started = await startResourceRun(services, { type: 'recon', resource: 'Bulk LDAP', pageSize: 50 });
  await eventually(() => runOf(started.workflowId), (r) => (r?.stats.seen ?? 0) >= 500, 'the reconciliation to be under way', 120_000);
  await mongod.stop();
  await new Promise((r) => setTimeout(r, 3000));
  await mongod.restart();

  const summary = await waitForRun(services, started.workflowId, () => undefined);
  expect(summary.errors).toBe(0);
  expect(summary.seen).toBeGreaterThanOrEqual(ACCOUNTS);
  const renamed = await inspect.users.find({ fullName: /^Captain / }, { projection: { _id: 0, name: 1, fullName: 1 } });
  expect(renamed).toHaveLength(300);
  expect(renamed.every((u) => u.fullName === `Captain ${Number(u.name.slice('pirate'.length))}`)).toBe(true);
  expect(await inspect.users.count({})).toBe(ACCOUNTS);
}, 300_000);

test('a run in two buckets is shared by two worker processes; a second start joins it, another workflow id is refused', async () => {
  await startWorker(); // two worker processes now
  await renameBehindTheBack(300, 500, (i) => `Quartermaster ${i}`);
  const started = await startResourceRun(services, { type: 'recon', resource: 'Bulk LDAP', pageSize: 100, buckets: 2 });
  const again = await startResourceRun(services, { type: 'recon', resource: 'Bulk LDAP' });
  expect(again).toMatchObject({ joined: true, workflowId: started.workflowId });
  await eventually(() => runOf(started.workflowId), (r) => r?.state === 'running', 'the run to be stored');
  const other = await services.client.workflow.start('reconcileResource', {
    taskQueue: env.TALLY_TASK_QUEUE,
    workflowId: `second-${Date.now()}`,
    args: [{ resource: resourceOid }],
  });
  const refused = await other.result().catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(WorkflowFailedError);
  expect(rootCause(refused)).toMatch(new RegExp(`reconciliation of Bulk LDAP is already running \\(workflow ${started.workflowId}`));

  const summary: RunSummary = await waitForRun(services, started.workflowId, () => undefined);
  expect(summary).toMatchObject({ seen: ACCOUNTS, synchronized: 200, unchanged: ACCOUNTS - 200, errors: 0 });
  expect(await inspect.users.count({ fullName: /^Quartermaster / })).toBe(200);

  // Both processes worked on the run: the bucket children's workflow and activity tasks were taken by two identities.
  const identities = new Set<string>();
  for (const index of [0, 1]) {
    const history = await services.client.workflow.getHandle(`${started.workflowId}:bucket-${index}`).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity ?? event.workflowTaskStartedEventAttributes?.identity;
      if (identity) identities.add(identity);
    }
  }
  expect(identities.size).toBe(2);
}, 300_000);
