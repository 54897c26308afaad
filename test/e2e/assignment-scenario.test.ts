/**
 * Assignments end to end on the real stack: anne gets the test role Captain over the HTTP API (accounts
 * on the LDAP directory and the PostgreSQL table, with the role's attribute mappings), her givenName is
 * changed with `tally user set` (fullName is recomputed by the template and carried to cn on both
 * accounts), and `tally user unassign` removes the role and with it both accounts.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { Client as LdapClient, type Entry } from 'ldapts';
import type { ProvisionUserResult } from '../../src/workflows/provision-user';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { applyAndProvision, startTally, eventually, recordHistories, type TallyHarness, listenApi } from '../support/tally-harness';

const run = promisify(execFile);
const tallyBin = path.join(__dirname, '..', '..', 'bin', 'tally');
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
const TOKEN = 'assignment-scenario-token';

/**
 * The examples' template maps fullName with strength weak, as the seed does: it only fills an EMPTY
 * fullName, so a later givenName change would leave fullName alone. To show the template recomputing
 * fullName on a change, this test's template maps it with normal strength (applies whenever a source
 * changed). It also leaves out the weak "MyLittleAD account for everybody" assignment, so that anne's
 * accounts come from the Captain role alone and unassigning it leaves her with none.
 */
const testTemplate = `kind: ObjectTemplate
oid: c0c010c0-d34d-b33f-f00d-777111111111
name: Default User Template
default: true
mapping:
  - strength: normal
    source: [{ path: givenName }, { path: familyName }]
    expression: { script: { code: "givenName + ' ' + familyName" } }
    target: { path: fullName }
`;

/** A role inducing accounts on both resources, each with a role attribute mapping. */
const captainRole = `kind: Role
name: Captain
inducement:
  - construction:
      resourceRef: OpenDJ LDAP directory
      attribute:
        - ref: title
          outbound: { strength: strong, expression: { value: Captain } }
  - construction:
      resourceRef: MyLittleAD
      attribute:
        - ref: description
          outbound:
            strength: strong
            source: [{ path: $user/familyName }]
            expression: { script: { code: "'Captain ' + familyName" } }
`;

const anne = `kind: User
name: anne
givenName: Anne
familyName: Bonny
`;

let tally: TallyHarness;
let api: FastifyInstance;
let apiUrl: string;
let resources: ExampleResources;
let anneDn: string;
let anneOid: string;

async function ldapEntry(dn: string): Promise<Entry | null> {
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    const { searchEntries } = await ldap.search(dn, { scope: 'base', attributes: ['*', 'entryUUID'] });
    return searchEntries[0] ?? null;
  } catch (e) {
    if ((e as { code?: number }).code === 32) return null; // noSuchObject
    throw e;
  } finally {
    await ldap.unbind();
  }
}

async function pgRow(name: string): Promise<Record<string, string> | null> {
  return ((await resources.pg.query(`SELECT * FROM ${resources.table} WHERE name = $1`, [name])).rows[0] as Record<string, string> | undefined) ?? null;
}

async function cli(args: string[]) {
  const { stdout } = await run(tallyBin, args, { env: { ...process.env, ...tally.env }, timeout: 120_000 });
  return JSON.parse(stdout) as { changedPaths: string[]; provisioningWorkflowId?: string; provisioning?: ProvisionUserResult };
}

async function settledShadows() {
  return eventually(
    () => tally.services.repo.shadows.ofOwner(anneOid),
    (shadows) => shadows.length === 2 && shadows.every((s) => s.exists && s.pendingOperations.length === 0),
    "anne's two accounts created",
  );
}

beforeAll(async () => {
  tally = await startTally('assignment');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  anneDn = resources.accountDn('anne');
  const config = resources.examples;
  rmSync(path.join(config, 'users', 'jack.yaml'));
  writeFileSync(path.join(config, 'templates', 'default-user.yaml'), testTemplate);
  writeFileSync(path.join(config, 'roles', 'captain.yaml'), captainRole);
  writeFileSync(path.join(config, 'users', 'anne.yaml'), anne);
  // As `tally apply` does: the new user is recomputed (the template sets her fullName).
  await applyAndProvision(tally.services, [config]);
  anneOid = (await tally.services.repo.users.byRef('anne'))!.oid;

  const listening = await listenApi(tally, TOKEN);
  api = listening.api;
  apiUrl = `${listening.url}/api/v1`;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await resources?.close();
  await tally?.stop();
});

test('anne starts with her fullName from the template and no accounts', async () => {
  const user = await tally.services.repo.users.byRef('anne');
  expect(user).toMatchObject({ givenName: 'Anne', familyName: 'Bonny', fullName: 'Anne Bonny', assignment: [], linkRef: [] });
  expect(await tally.services.repo.shadows.ofOwner(anneOid)).toEqual([]);
});

test('assigning the Captain role over the API creates the LDAP entry and the PostgreSQL row', async () => {
  const response = await fetch(`${apiUrl}/users/anne/assignments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'Captain' }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { changedPaths: string[]; provisioningWorkflowId: string };
  expect(body.changedPaths).toEqual(['assignment']);
  const provisioning: ProvisionUserResult = await tally.services.client.workflow.getHandle(body.provisioningWorkflowId).result();
  expect(provisioning.accountOperations.map((op) => `${op.action} ${op.resourceRef}`).sort()).toEqual([`add ${AD_OID}`, `add ${LDAP_OID}`].sort());
  // Both resources were up: the accounts were created by provisionUser itself, nothing waits.
  expect(provisioning.handedOver).toEqual([]);
  await recordHistories(tally.stack.temporal, { 'provision-user-assignment': body.provisioningWorkflowId });

  const shadows = await settledShadows();
  const entry = await eventually(() => ldapEntry(anneDn), (e) => e !== null, "anne's LDAP entry");
  expect(entry).toMatchObject({ uid: 'anne', cn: 'Anne Bonny', givenName: 'Anne', sn: 'Bonny', title: 'Captain', description: 'Created by IDM' });
  const row = await eventually(() => pgRow('cn=anne,o=Acme'), (r) => r !== null, "anne's PostgreSQL row");
  expect(row).toMatchObject({ login: 'anne', cn: 'Anne Bonny', given_name: 'Anne', sn: 'Bonny', description: 'Captain Bonny' });

  const ldapShadow = shadows.find((s) => s.resourceRef === LDAP_OID)!;
  const adShadow = shadows.find((s) => s.resourceRef === AD_OID)!;
  expect(ldapShadow).toMatchObject({ ownerRef: anneOid, situation: 'linked', exists: true, dead: false, primaryIdentifier: entry!.entryUUID });
  expect(ldapShadow.secondaryIdentifier?.toLowerCase()).toBe(anneDn.toLowerCase());
  expect(adShadow).toMatchObject({ ownerRef: anneOid, situation: 'linked', exists: true, dead: false, primaryIdentifier: String(row!.id), secondaryIdentifier: 'cn=anne,o=Acme' });
  const user = await tally.services.repo.users.byRef('anne');
  expect(user!.linkRef.sort()).toEqual([ldapShadow.oid, adShadow.oid].sort());
});

test('tally user set givenName recomputes fullName and carries it to cn on both accounts', async () => {
  const result = await cli(['user', 'set', 'anne', 'givenName=Anna', '--wait', '--json']);
  expect(result.changedPaths).toEqual(['givenName']);
  expect(result.provisioning!.accountOperations.map((op) => `${op.action} ${op.resourceRef}`).sort()).toEqual([`modify ${AD_OID}`, `modify ${LDAP_OID}`].sort());
  expect(await tally.services.repo.users.byRef('anne')).toMatchObject({ givenName: 'Anna', fullName: 'Anna Bonny' });

  const entry = await eventually(() => ldapEntry(anneDn), (e) => e?.cn === 'Anna Bonny', 'cn of the LDAP entry');
  expect(entry).toMatchObject({ cn: 'Anna Bonny', givenName: 'Anna', title: 'Captain' });
  const row = await eventually(() => pgRow('cn=anne,o=Acme'), (r) => r?.cn === 'Anna Bonny', 'cn of the PostgreSQL row');
  expect(row).toMatchObject({ cn: 'Anna Bonny', given_name: 'Anna', description: 'Captain Bonny' });
});

test('tally user unassign removes the role and both accounts', async () => {
  const before = await tally.services.repo.shadows.ofOwner(anneOid);
  const result = await cli(['user', 'unassign', 'anne', 'Captain', '--wait', '--json']);
  expect(result.changedPaths).toEqual(['assignment']);
  expect(result.provisioning!.accountOperations.map((op) => `${op.action} ${op.resourceRef}`).sort()).toEqual([`delete ${AD_OID}`, `delete ${LDAP_OID}`].sort());

  await eventually(() => ldapEntry(anneDn), (e) => e === null, 'the LDAP entry deleted');
  await eventually(() => pgRow('cn=anne,o=Acme'), (r) => r === null, 'the PostgreSQL row deleted');
  const leftShadows = await eventually(
    () => tally.inspect.shadows.find({ oid: { $in: before.map((s) => s.oid) } }),
    (s) => s.length === 0,
    "anne's shadows removed",
  );
  expect(leftShadows).toEqual([]);
  expect(await tally.services.repo.users.byRef('anne')).toMatchObject({ assignment: [], linkRef: [] });
});

test('PATCH over the API sets and clears properties and extension items as one versioned change', async () => {
  const patch = async (body: unknown) => {
    const response = await fetch(`${apiUrl}/users/anne`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as { changedPaths: string[]; provisioningWorkflowId?: string; user: { version: number } };
  };
  const before = await tally.services.repo.users.byRef('anne');
  const set = await patch({ emailAddress: 'anne@example.com', extension: { ship: 'Revenge', rank: 'captain' } });
  expect(set.changedPaths.sort()).toEqual(['emailAddress', 'extension/rank', 'extension/ship']);
  expect(set.provisioningWorkflowId).toBe(`user:${anneOid}`);
  expect(await tally.services.repo.users.byRef('anne')).toMatchObject({
    emailAddress: 'anne@example.com',
    extension: { ship: 'Revenge', rank: 'captain' },
    version: before!.version + 1,
    metadata: { modifyChannel: 'api' },
  });

  const cleared = await patch({ emailAddress: '', extension: { ship: null, rank: '' } });
  expect(cleared.changedPaths.sort()).toEqual(['emailAddress', 'extension/rank', 'extension/ship']);
  const user = await tally.services.repo.users.byRef('anne');
  expect(user).not.toHaveProperty('emailAddress');
  expect(user).not.toHaveProperty('extension');

  const again = await patch({ emailAddress: null });
  expect(again).toMatchObject({ changedPaths: [] });
  expect(again.provisioningWorkflowId).toBeUndefined();
});
