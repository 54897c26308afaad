/**
 * A user's validTo passes while no worker runs (the worker process SIGKILLed): nothing happens then, and
 * a new worker fires the durable timer at once and disables the account. Nothing polls and nothing is lost.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { temporal } from '@temporalio/proto';
import { applyConfig } from '../../../src/admin/apply-config';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { getStack } from '../../support/stack';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';

const EventType = temporal.api.enums.v1.EventType;
const resourceOid = randomUUID();
const ou = `validity-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;
const dn = `uid=elizabeth,${base}`;

let services: Services;
let env: Record<string, string>;
let ldap: LdapClient;
const workers: ChildProcess[] = [];

async function startWorker(): Promise<ChildProcess> {
  const child = await startWorkerProcess(env);
  workers.push(child);
  return child;
}

const businessCategory = async () => {
  const { searchEntries } = await ldap.search(dn, { scope: 'base', attributes: ['businessCategory'] }).catch(() => ({ searchEntries: [] }));
  if (!searchEntries[0]) return null;
  // ldapts answers a requested attribute the entry lacks with [].
  const value = [searchEntries[0].businessCategory ?? []].flat();
  return value.length === 0 ? 'none' : String(value[0]);
};

beforeAll(async () => {
  const stack = getStack();
  env = { ...tallyTestEnv(stack, 'validity-restart'), TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  services = await openServices(loadSettings(env), env);
  ldap = new LdapClient({ url: stack.ldap.url });
  await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
}, 120_000);

afterAll(async () => {
  for (const w of workers.filter((c) => c.exitCode === null && c.signalCode === null)) w.kill('SIGKILL');
  await ldap?.unbind();
  await services?.close();
});

test('validTo passing while the worker is down disables the account as soon as a worker runs again', async () => {
  const first = await startWorker();
  const validTo = new Date(Date.now() + 20_000).toISOString();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-validity-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapResourceYaml({
      oid: resourceOid,
      name: 'Validity LDAP',
      ldap: { url: getStack().ldap.url, bindDn: getStack().ldap.serviceDn },
      base,
      attributes: `        - ref: cn
          outbound: { source: [{ path: $user/fullName }] }
        - ref: sn
          outbound: { source: [{ path: $user/familyName }] }
`,
      tail: `      activation:
        administrativeStatus: { attribute: businessCategory, disabledValue: disabled, outbound: { strength: normal } }
`,
    }),
  );
  writeFileSync(
    path.join(dir, 'user.yaml'),
    `kind: User
name: elizabeth
fullName: Elizabeth Swann
familyName: Swann
activation: { validTo: "${validTo}" }
assignment:
  - accountConstruction: { resourceRef: ${resourceOid} }
`,
  );
  const applied = await applyConfig(services.repo, services.key, [dir]);
  const userOid = applied.usersToProvision[0]!.userOid;
  await services.client.workflow.getHandle(await services.workflows.requestUserProvisioning({ userOid, channel: 'user' })).result();
  expect(await businessCategory()).toBe('none');
  const timer = services.client.workflow.getHandle(`activation:${userOid}`);
  await eventually(async () => (await timer.describe()).status.name, (s) => s === 'RUNNING', 'the activation timer armed');

  first.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(validTo) - Date.now()) + 3000));
  // Past validTo with no worker: the account is untouched, the timer waits for a worker.
  expect(await businessCategory()).toBe('none');

  await startWorker();
  await eventually(businessCategory, (v) => v === 'disabled', 'the account disabled by a new worker', 60_000);
  expect(await services.repo.users.byRef('elizabeth')).toMatchObject({ activation: { validTo, effectiveStatus: 'disabled', validityStatus: 'after' } });
  expect(await timer.result()).toEqual({ userOid, passed: [validTo] });
  const events = (await timer.fetchHistory()).events ?? [];
  expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)).toHaveLength(1);
  expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED)).toHaveLength(1);
}, 180_000);
