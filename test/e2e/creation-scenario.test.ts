/**
 * The seeds' creation scenario on the real stack: a new LDAP account `will`, unknown to Tally, is
 * reported over the HTTP API (`POST /api/v1/changes`). No user correlates (situation unmatched), so the
 * reaction addFocus creates the user through the Default User Template: givenName, familyName and
 * fullName come inbound from the account, and the template's weak assignment gives him an account on
 * MyLittleAD (the PostgreSQL table), which provisioning creates as `cn=will,o=Acme`.
 */
import type { FastifyInstance } from 'fastify';
import { applyConfig } from '../../src/admin/apply-config';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { startTally, eventually, type TallyHarness, listenApi } from '../support/tally-harness';
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
const TEMPLATE_OID = 'c0c010c0-d34d-b33f-f00d-777111111111';
const TOKEN = 'creation-scenario-token';

let tally: TallyHarness;
let api: FastifyInstance;
let apiUrl: string;
let resources: ExampleResources;
let willDn: string;

beforeAll(async () => {
  tally = await startTally('creation');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  willDn = resources.accountDn('will');


  // The account is created on the directory behind Tally's back. Its cn differs from what the
  // template would compute (givenName + ' ' + familyName), so the test can tell that fullName came
  // inbound and the template's weak mapping left it alone.
  await resources.ldap.add(willDn, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'will', cn: 'William Turner', givenName: 'Will', sn: 'Turner' });
  await applyConfig(tally.services.repo, tally.services.key, [resources.examples]);
  const listening = await listenApi(tally, TOKEN);
  api = listening.api;
  apiUrl = `${listening.url}/api/v1`;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await resources?.close();
  await tally?.stop();
});

test('an unknown LDAP account reported over the API becomes user will with an account on MyLittleAD', async () => {
  expect(await tally.services.repo.users.byRef('will')).toBeNull();

  const response = await fetch(`${apiUrl}/changes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resource: 'OpenDJ LDAP directory', account: willDn, changeType: 'add' }),
  });
  expect(response.status).toBe(202);
  // Stored, then applied by the directory's live sync (started for it).
  expect(await response.json()).toEqual({ accepted: 1, duplicates: 0, resources: [LDAP_OID] });

  // addFocus stores the user with the template applied: his first version already has the assignment.
  const will = await eventually(() => tally.services.repo.users.byRef('will'), (u) => u !== null, 'user will');
  expect(will).toMatchObject({ name: 'will', givenName: 'Will', familyName: 'Turner', fullName: 'William Turner', templateRef: TEMPLATE_OID });
  // The template's weak mapping: the user had no assignment, so he gets the MyLittleAD account.
  expect(will!.assignment).toEqual([{ accountConstruction: expect.objectContaining({ resourceRef: AD_OID, kind: 'account', intent: 'default' }) }]);

  const row = await eventually(
    async () => ((await resources.pg.query(`SELECT * FROM ${resources.table} WHERE name = 'cn=will,o=Acme'`)).rows[0] as Record<string, string> | undefined) ?? null,
    (r) => r !== null,
    "will's PostgreSQL row",
  );
  expect(row).toMatchObject({ login: 'will', cn: 'William Turner', given_name: 'Will', sn: 'Turner', description: 'Created by IDM' });

  const shadows = await eventually(
    () => tally.services.repo.shadows.ofOwner(will!.oid),
    (s) => s.length === 2 && s.every((x) => x.exists && x.pendingOperations.length === 0),
    "will's two linked accounts",
  );
  const ldapShadow = shadows.find((s) => s.resourceRef === LDAP_OID)!;
  const adShadow = shadows.find((s) => s.resourceRef === AD_OID)!;
  expect(ldapShadow).toMatchObject({ situation: 'linked', secondaryIdentifier: willDn, exists: true });
  expect(adShadow).toMatchObject({ secondaryIdentifier: 'cn=will,o=Acme', primaryIdentifier: String(row!.id), exists: true });
  const linked = await tally.services.repo.users.byRef('will');
  expect(linked!.linkRef.sort()).toEqual([ldapShadow.oid, adShadow.oid].sort());
});
