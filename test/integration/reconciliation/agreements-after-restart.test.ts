/**
 * What a reconciliation found in agreement outlives the worker that found it: after a worker restart (a new
 * `tally worker` process on the same repository) the unchanged accounts are counted without reading their
 * owners whole, and an account whose owner, shadow or configuration changed since is compared again and
 * put back in line.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { findShadows } from '../../../src/admin/inspect';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { withConcurrency } from '../../../src/support/concurrency';
import { addFocusLinkSynchronizeUnlink, cnToFullName, ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { RepositoryInspector } from '../../support/repository-inspector';
import { getStack } from '../../support/stack';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';

const ACCOUNTS = 30;
const resourceOid = randomUUID();
const ou = `agreements-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;
const uidOf = (i: number) => `sailor${String(i).padStart(3, '0')}`;
const dnOf = (i: number) => `uid=${uidOf(i)},${base}`;

let services: Services;
let inspect: RepositoryInspector;
let env: Record<string, string>;
let ldap: LdapClient;
let worker: ChildProcess | undefined;

function resourceYaml(greeting: string): string {
  return ldapResourceYaml({
    oid: resourceOid,
    name: 'Agreeing LDAP',
    ldap: getStack().ldap,
    base,
    attributes: `${cnToFullName}        - ref: description
          outbound: { strength: strong, source: [{ path: $user/fullName }], expression: { script: { code: "'${greeting} ' + fullName" } } }
        - ref: title
          outbound: { strength: strong, source: [{ path: $user/title }] }
`,
    tail: addFocusLinkSynchronizeUnlink,
  });
}

async function apply(greeting: string): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-agreements-'));
  writeFileSync(path.join(dir, 'resource.yaml'), resourceYaml(greeting));
  await applyConfig(services.repo, services.key, [dir]);
}

async function restartWorker(): Promise<void> {
  if (worker) {
    const exited = new Promise((resolve) => worker!.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;
  }
  worker = await startWorkerProcess(env);
}

async function reconcile() {
  const { workflowId } = await startResourceRun(services, { type: 'recon', resource: 'Agreeing LDAP' });
  return waitForRun(services, workflowId, () => undefined);
}

async function settled(): Promise<void> {
  await eventually(() => inspect.shadows.count({ 'pendingOperations.0': { $exists: true } }), (n) => n === 0, 'the provisioning handed over to finish');
}

async function ldapValue(i: number, attribute: string): Promise<string | undefined> {
  const { searchEntries } = await ldap.search(dnOf(i), { scope: 'base', attributes: [attribute] });
  const value = searchEntries[0]?.[attribute];
  return Array.isArray(value) ? String(value[0]) : value === undefined ? undefined : String(value);
}

/**
 * The `users` finds of `work`, from MongoDB's profiler (it sees every process's commands): reads of owners
 * whole, and reads of their versions alone.
 */
async function usersReadDuring(work: () => Promise<void>): Promise<{ whole: number; versionsOnly: number }> {
  const profile = inspect.scratch<{ ts: Date }>('system.profile');
  await inspect.databaseCommand({ profile: 0 });
  await profile.drop().catch(() => undefined);
  await inspect.databaseCommand({ profile: 2 });
  try {
    await work();
  } finally {
    await inspect.databaseCommand({ profile: 0 });
  }
  const finds = { ns: `${services.settings.TALLY_DATABASE}.users`, op: 'query' };
  const versionsOnly = await profile.count({ ...finds, 'command.projection.version': 1, 'command.projection.name': { $exists: false } });
  return { whole: (await profile.count(finds)) - versionsOnly, versionsOnly };
}

beforeAll(async () => {
  const stack = getStack();
  env = { ...tallyTestEnv(stack, 'agreements'), TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  services = await openServices(loadSettings(env), env);
  inspect = RepositoryInspector.of(services.settings);
  await apply('Known as');
  ldap = new LdapClient({ url: stack.ldap.url });
  await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  const indexes = Array.from({ length: ACCOUNTS }, (_, i) => i);
  await withConcurrency(indexes, 8, async (i) => {
    await ldap.add(dnOf(i), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: uidOf(i), cn: `Sailor ${i}`, sn: `${i}` });
  });
  await restartWorker();
  const { workflowId } = await startResourceRun(services, { type: 'import', resource: 'Agreeing LDAP' });
  expect((await waitForRun(services, workflowId, () => undefined)).errors).toBe(0);
  await settled();
  // The first reconciliation compares every account with its owner and keeps what agreed.
  await reconcile();
  await settled();
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await ldap?.unbind();
  await services?.close();
  await inspect?.close();
});

test('after a worker restart, the unchanged accounts are counted without reading their owners whole', async () => {
  expect(await ldapValue(7, 'description')).toBe('Known as Sailor 7');
  await restartWorker();

  let summary: Awaited<ReturnType<typeof reconcile>> | undefined;
  const reads = await usersReadDuring(async () => {
    summary = await reconcile();
  });
  expect(summary).toMatchObject({ seen: ACCOUNTS, unchanged: ACCOUNTS, synchronized: 0, errors: 0 });
  expect(reads.versionsOnly).toBeGreaterThan(0); // the profiler saw the run's reads of the owners' versions
  expect(reads.whole).toBe(0);

  // Kept on the shadows as bookkeeping, not shown with them.
  const stored = await inspect.shadows.find({ resourceRef: resourceOid });
  expect(stored.every((s) => (s as { agreement?: object }).agreement !== undefined)).toBe(true);
  const shown = await findShadows(services.repo, { resource: 'Agreeing LDAP' });
  expect(shown).toHaveLength(ACCOUNTS);
  expect(shown.filter((s) => 'agreement' in s)).toEqual([]);
}, 120_000);

test('after a restart, an account whose owner, shadow or configuration changed since is compared again and put back in line', async () => {
  // The owner: a property an outbound mapping takes, changed in the repository alone.
  const owner = (await services.repo.users.byName(uidOf(1)))!;
  await services.repo.users.setProperties(owner.oid, { title: 'Bosun' });
  // The shadow: Tally learns of an account's new description (its cache and the account agree) but nothing
  // reacted to it yet.
  const shadow = (await services.repo.shadows.byOids(owner.linkRef)).find((s) => s.resourceRef === resourceOid)!;
  const other = (await services.repo.shadows.byIdentifiers(resourceOid, { secondaryIdentifier: dnOf(2) }))!;
  await ldap.modify(dnOf(2), [new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: ['tampered'] }) })]);
  await services.repo.shadows.patch(other.oid, { set: { 'attributes.description': ['tampered'] } });
  await restartWorker();

  const afterOwnerAndShadow = await reconcile();
  expect(afterOwnerAndShadow).toMatchObject({ seen: ACCOUNTS, unchanged: ACCOUNTS - 2, synchronized: 2, errors: 0 });
  expect(await ldapValue(1, 'title')).toBe('Bosun');
  expect(await ldapValue(2, 'description')).toBe('Known as Sailor 2');
  expect(shadow.oid).not.toBe(other.oid);

  // The configuration: every account's description follows the new expression.
  await apply('Called');
  await restartWorker();
  const afterConfig = await reconcile();
  expect(afterConfig).toMatchObject({ seen: ACCOUNTS, unchanged: 0, synchronized: ACCOUNTS, errors: 0 });
  expect(await ldapValue(7, 'description')).toBe('Called Sailor 7');
}, 180_000);
