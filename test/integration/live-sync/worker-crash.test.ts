/**
 * Live sync with its worker process SIGKILLed in the middle of a batch: a new worker goes on from the
 * stored position, and every change is applied (the final state equals an undisturbed run's).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { withConcurrency } from '../../../src/support/concurrency';
import { addFocusAndSynchronize, cnToFullName, ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { RepositoryInspector } from '../../support/repository-inspector';
import { getStack } from '../../support/stack';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';

const ACCOUNTS = 2_000;
const resourceOid = randomUUID();
const ou = `live-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;
const uidOf = (i: number) => `sailor${String(i).padStart(4, '0')}`;

let services: Services;
let inspect: RepositoryInspector;
let env: Record<string, string>;
let ldap: LdapClient;
const workers: ChildProcess[] = [];

async function startWorker(): Promise<ChildProcess> {
  const child = await startWorkerProcess(env);
  workers.push(child);
  return child;
}

const renamed = () => inspect.users.count({ fullName: /^Bosun / });

beforeAll(async () => {
  const stack = getStack();
  env = { ...tallyTestEnv(stack, 'live-crash'), TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  services = await openServices(loadSettings(env), env);
  inspect = RepositoryInspector.of(services.settings);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-live-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapResourceYaml({
      oid: resourceOid,
      name: 'Live LDAP',
      // Tally binds as its own account, so the test's changes (as the admin) are people's changes.
      ldap: { url: stack.ldap.url, bindDn: stack.ldap.serviceDn },
      base,
      attributes: cnToFullName,
      changelog: true,
      tail: addFocusAndSynchronize,
    }),
  );
  await applyConfig(services.repo, services.key, [dir]);
  ldap = new LdapClient({ url: stack.ldap.url });
  await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  await withConcurrency(
    Array.from({ length: ACCOUNTS }, (_, i) => i),
    16,
    async (i) => {
      await ldap.add(`uid=${uidOf(i)},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: uidOf(i), cn: `Sailor ${i}`, sn: `${i}` });
    },
  );
}, 300_000);

afterAll(async () => {
  await signalLiveSync(services, resourceOid, 'stop').catch(() => undefined);
  for (const w of workers.filter((c) => c.exitCode === null && c.signalCode === null)) w.kill('SIGKILL');
  await ldap?.unbind();
  await services?.close();
  await inspect?.close();
});

test(`live sync of ${ACCOUNTS} changes with the worker SIGKILLed mid-batch: every change is applied once a new worker runs`, async () => {
  const first = await startWorker();
  const imported = await startResourceRun(services, { type: 'import', resource: resourceOid });
  expect((await waitForRun(services, imported.workflowId, () => undefined)).errors).toBe(0);
  expect(await inspect.users.count({})).toBe(ACCOUNTS);

  await startLiveSync(services, resourceOid, { intervalMs: 200 });
  await eventually(async () => (await liveSyncStatuses(services, resourceOid))[0].status?.polls ?? 0, (n) => n >= 2, 'live sync polling');
  await withConcurrency(
    Array.from({ length: ACCOUNTS }, (_, i) => i),
    16,
    async (i) => {
      await ldap.modify(`uid=${uidOf(i)},${base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [`Bosun ${i}`] }) }));
    },
  );
  await eventually(renamed, (n) => n >= 100, 'live sync under way', 120_000);
  const exited = new Promise((resolve) => first.once('exit', resolve));
  first.kill('SIGKILL');
  await exited;
  expect(await renamed()).toBeLessThan(ACCOUNTS);

  await startWorker();
  await eventually(renamed, (n) => n === ACCOUNTS, 'every change applied', 180_000);
  const users = await inspect.users.find({}, { projection: { _id: 0, name: 1, fullName: 1 } });
  expect(users).toHaveLength(ACCOUNTS);
  expect(users.every((u) => u.fullName === `Bosun ${Number(u.name.slice('sailor'.length))}`)).toBe(true);
  const [listing] = await liveSyncStatuses(services, resourceOid);
  expect(listing.status).toMatchObject({ state: 'polling', handedOver: 0 });
}, 300_000);
