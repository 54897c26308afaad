/**
 * Disable instead of delete, and delayed delete, on the real stack (the examples' two resources, their
 * object types given `activation.deprovisioning: { action: disable, deleteAfter }`):
 * - unassigning the constructions disables the LDAP entry (businessCategory) and the PostgreSQL row
 *   (`enabled`) instead of deleting them; they stay linked, their shadows say since when;
 * - assigning them again enables the same entry and row (no second account);
 * - deleting a user disables and unlinks his accounts, and removes him; reconciliation leaves such an
 *   ownerless account alone (the examples' unmatched reaction would otherwise make the user again);
 * - a reconciliation before `deleteAfter` keeps them, one after it deletes them through provisioning.
 * The examples' default template, which gives everybody a MyLittleAD account, gives none here.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Entry } from 'ldapts';
import { exampleResources } from '../support/example-resources';
import { assignToUser, unassignFromUser } from '../../src/admin/user-commands';
import { deleteUser } from '../../src/admin/user-deletion';
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import type { ShadowDoc } from '../../src/schema/objects';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
const LDAP = 'OpenDJ LDAP directory';
const AD = 'MyLittleAD';

const user = (name: string, given: string, family: string) => `kind: User
name: ${name}
givenName: ${given}
familyName: ${family}
assignment:
  - accountConstruction: { resourceRef: ${LDAP_OID} }
  - accountConstruction: { resourceRef: ${AD_OID} }
`;

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;
let config: string;
const dn = (name: string) => `uid=${name},${resources.base}`;

async function ldapEntry(entryDn: string): Promise<Entry | null> {
  return (await resources.ldap.search(entryDn, { scope: 'base', attributes: ['*'] }).catch(() => ({ searchEntries: [] }))).searchEntries[0] ?? null;
}

async function pgRow(name: string): Promise<Record<string, unknown> | null> {
  return ((await resources.pg.query(`SELECT * FROM ${resources.table} WHERE name = $1`, [name])).rows[0] as Record<string, unknown> | undefined) ?? null;
}

/** The examples' object types, disabling instead of deleting, disabled accounts deleted after `deleteAfter`. */
function applyDeprovisioning(deleteAfter: string): Promise<unknown> {
  for (const file of ['ldap.yaml', 'hr-postgres.yaml']) {
    const yaml = path.join(config, 'resources', file);
    const text = readFileSync(yaml, 'utf8').replace(/\n {8}deprovisioning: .*\n/, '\n');
    writeFileSync(yaml, text.replace('\n      activation:\n', `\n      activation:\n        deprovisioning: { action: disable, deleteAfter: ${deleteAfter} }\n`));
  }
  return applyAndProvision(tally.services, [config]);
}

const shadowsOn = async (resourceOid: string, name: string): Promise<ShadowDoc[]> =>
  (await tally.inspect.shadows.find({ resourceRef: resourceOid, secondaryIdentifier: new RegExp(`^(uid|cn)=${name},`, 'i') })) as ShadowDoc[];

async function provisioned(result: Promise<{ provisioningWorkflowId?: string }>): Promise<void> {
  const { provisioningWorkflowId } = await result;
  if (provisioningWorkflowId) await tally.services.client.workflow.getHandle(provisioningWorkflowId).result();
}

async function reconcile(resource: string) {
  const started = await startResourceRun(tally.services, { type: 'recon', resource });
  return waitForRun(tally.services, started.workflowId, () => undefined, 200);
}

beforeAll(async () => {
  tally = await startTally('deprovision');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  config = resources.examples;
  rmSync(path.join(config, 'users', 'jack.yaml'));
  // The examples' default template gives everybody a MyLittleAD account (weak: while he has no assignment); here only the users' own assignments count.
  const template = path.join(config, 'templates', 'default-user.yaml');
  const withoutAccount = readFileSync(template, 'utf8').replace(/\n {2}- strength: weak\n {4}expression: \{ value: \{ assignment: .*\n {4}target: \{ path: assignment \}\n/, '\n');
  expect(withoutAccount).not.toContain('path: assignment');
  writeFileSync(template, withoutAccount);
  writeFileSync(path.join(config, 'users', 'will.yaml'), user('will', 'Will', 'Turner'));
  writeFileSync(path.join(config, 'users', 'elizabeth.yaml'), user('elizabeth', 'Elizabeth', 'Swann'));
  await applyDeprovisioning('1h');
  for (const name of ['will', 'elizabeth']) {
    const oid = (await tally.services.repo.users.byRef(name))!.oid;
    await eventually(() => tally.services.repo.shadows.ofOwner(oid), (s) => s.length === 2 && s.every((x) => x.exists && x.pendingOperations.length === 0), `${name}'s two accounts`);
  }
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('unassigning disables the LDAP entry and the PostgreSQL row instead of deleting them; they stay linked', async () => {
  const before = await tally.services.repo.shadows.ofOwner((await tally.services.repo.users.byRef('will'))!.oid);
  await provisioned(unassignFromUser(tally.services, 'will', { resource: LDAP }, 'user'));
  await provisioned(unassignFromUser(tally.services, 'will', { resource: AD }, 'user'));

  expect((await ldapEntry(dn('will')))?.businessCategory).toBe('disabled');
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: false });
  const will = (await tally.services.repo.users.byRef('will'))!;
  expect(will.assignment).toEqual([]);
  const shadows = await tally.services.repo.shadows.ofOwner(will.oid);
  expect(shadows.map((s) => s.oid).sort()).toEqual(before.map((s) => s.oid).sort());
  for (const shadow of shadows) {
    expect(shadow).toMatchObject({ exists: true, dead: false, pendingOperations: [] });
    expect(Date.parse(shadow.deprovisionedAt!)).toBeGreaterThan(Date.now() - 60_000);
  }
  // A recomputation (what changed unknown, as reconciliation's) keeps them disabled and their record as it was.
  await tally.services.client.workflow.getHandle(await tally.services.workflows.requestUserProvisioning({ userOid: will.oid, channel: 'user' })).result();
  expect((await ldapEntry(dn('will')))?.businessCategory).toBe('disabled');
  expect((await tally.services.repo.shadows.ofOwner(will.oid)).map((s) => s.deprovisionedAt).sort()).toEqual(shadows.map((s) => s.deprovisionedAt).sort());
});

test('assigning again enables the same entry and row: no second account', async () => {
  const will = (await tally.services.repo.users.byRef('will'))!;
  const before = await tally.services.repo.shadows.ofOwner(will.oid);
  await provisioned(assignToUser(tally.services, 'will', { resource: LDAP }, 'user'));
  await provisioned(assignToUser(tally.services, 'will', { resource: AD }, 'user'));

  expect((await ldapEntry(dn('will')))?.businessCategory).toBeUndefined();
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: true });
  const after = await tally.services.repo.shadows.ofOwner(will.oid);
  expect(after.map((s) => [s.oid, s.primaryIdentifier]).sort()).toEqual(before.map((s) => [s.oid, s.primaryIdentifier]).sort());
  expect(after.map((s) => s.deprovisionedAt)).toEqual([undefined, undefined]);
  expect(await shadowsOn(LDAP_OID, 'will')).toHaveLength(1);
  expect((await resources.pg.query(`SELECT count(*)::int AS n FROM ${resources.table} WHERE name = 'cn=will,o=Acme'`)).rows[0]).toEqual({ n: 1 });
});

test('deleting a user disables and unlinks his accounts; reconciliation keeps them until deleteAfter, then deletes them', async () => {
  const elizabeth = (await tally.services.repo.users.byRef('elizabeth'))!;
  const deleted = await deleteUser(tally.services, 'elizabeth', 'user', { wait: true, timeoutMs: 60_000 });
  expect(deleted.outcome?.deleted).toBe(true);
  expect(deleted.outcome!.accounts.map((a) => `${a.resource} ${a.action} ${a.state}`).sort()).toEqual([`${AD} disable done`, `${LDAP} disable done`]);
  expect(await tally.services.repo.users.byRef('elizabeth')).toBeNull();
  expect((await ldapEntry(dn('elizabeth')))?.businessCategory).toBe('disabled');
  expect(await pgRow('cn=elizabeth,o=Acme')).toMatchObject({ enabled: false });
  const orphans = [...(await shadowsOn(LDAP_OID, 'elizabeth')), ...(await shadowsOn(AD_OID, 'elizabeth'))];
  expect(orphans).toHaveLength(2);
  for (const shadow of orphans) expect(shadow).toMatchObject({ ownerRef: null, exists: true, dead: false, deprovisionedAt: expect.any(String) });
  expect(await tally.services.repo.shadows.ofOwner(elizabeth.oid)).toEqual([]);

  // Before deleteAfter (1h): kept, and not correlated (the LDAP resource's unmatched reaction, addFocus, would make her again).
  const early = await reconcile(LDAP);
  expect(early).toMatchObject({ phase: 'finished', errors: 0 });
  await reconcile(AD);
  expect((await ldapEntry(dn('elizabeth')))?.businessCategory).toBe('disabled');
  expect(await pgRow('cn=elizabeth,o=Acme')).toMatchObject({ enabled: false });
  expect(await tally.services.repo.users.byRef('elizabeth')).toBeNull();

  // deleteAfter 2s: will's accounts, enabled and assigned, stay; hers go.
  await applyDeprovisioning('2s');
  await new Promise((r) => setTimeout(r, 2_500));
  const late = await reconcile(LDAP);
  expect(late).toMatchObject({ phase: 'finished', errors: 0 });
  await reconcile(AD);
  await eventually(() => ldapEntry(dn('elizabeth')), (e) => e === null, 'her LDAP entry deleted', 20_000);
  await eventually(() => pgRow('cn=elizabeth,o=Acme'), (r) => r === null, 'her row deleted', 20_000);
  expect((await ldapEntry(dn('will')))?.businessCategory).toBeUndefined();
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: true });
  const audit = await tally.inspect.audit.find({ objectOid: { $in: orphans.map((s) => s.oid) } });
  expect(audit.some((a) => a.channel === 'recon' && /delete/.test(JSON.stringify(a)))).toBe(true);
});

test("an account disabled when unassigned is deleted by the reconciliation after deleteAfter, unlinked from its owner", async () => {
  const will = (await tally.services.repo.users.byRef('will'))!;
  await provisioned(unassignFromUser(tally.services, 'will', { resource: AD }, 'user'));
  expect(await pgRow('cn=will,o=Acme')).toMatchObject({ enabled: false });
  await new Promise((r) => setTimeout(r, 2_500));
  await reconcile(AD);
  await eventually(() => pgRow('cn=will,o=Acme'), (r) => r === null, 'his row deleted', 20_000);
  const left = await tally.services.repo.shadows.ofOwner(will.oid);
  expect(left.map((s) => s.resourceRef)).toEqual([LDAP_OID]);
  expect((await tally.services.repo.users.byRef('will'))!.linkRef).toEqual([left[0]!.oid]);
  expect((await ldapEntry(dn('will')))?.businessCategory).toBeUndefined();
});
