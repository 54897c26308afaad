/**
 * Accounts and groups under one base context, as midPoint's OpenLDAP sample has them: the account
 * type's base is the directory suffix, and so is the group type's. Each object type is its delineation
 * (base, object class, filter) everywhere: a group changed by hand is not taken for an account by live
 * sync (no shadow, no user, nothing failed) while its member changes still repair memberships; reading
 * by DN or by entryUUID through one type never returns an entry of the other; a reconciliation counts no
 * error and makes no user of a group. A private slapd: its suffix is the resource's whole directory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { stuckOperations } from '../../../src/admin/stuck-operations';
import { findByIdentifier, readByDn } from '../../../src/connectors/ldap/ldap-delineation';
import { ldapObjectTypes } from '../../../src/connectors/ldap/ldap-object-types';
import { startSlapd, type SlapdServer } from '../../../src/dev/servers';
import type { LiveSyncStatus } from '../../../src/workflows/workflow-ids';
import { addFocusLinkSynchronizeUnlink } from '../../support/ldap-resource-yaml';
import { scratchDir } from '../../support/stack';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const PASSWORD_ENV = 'TALLY_SHARED_BASE_LDAP_PASSWORD';
const SUFFIX = 'dc=example,dc=com';
const CREW = `cn=crew,ou=groups,${SUFFIX}`;
const PARROTS = `cn=parrots,ou=groups,${SUFFIX}`;
const JACK = `uid=jack,ou=people,${SUFFIX}`;

let tally: TallyHarness;
let slapd: SlapdServer;
let admin: LdapClient;
const oid = randomUUID();

function configYaml(url: string): string {
  return `kind: Resource
oid: ${oid}
name: Shared base LDAP
connector:
  type: ldap
  url: ${url}
  bindDn: cn=tally,${SUFFIX}
  bindPassword: { env: ${PASSWORD_ENV} }
  baseContext: ${SUFFIX}
  primaryIdentifier: entryUUID
  changelog: { type: accesslog, base: cn=accesslog }
schemaHandling:
  objectType:
    - kind: account
      default: true
      objectClass: inetOrgPerson
      attribute:
        - ref: icfs:name
          outbound: { strength: weak, source: [{ path: $user/name }], expression: { script: { code: "'uid=' + name + ',ou=people,${SUFFIX}'" } } }
        - ref: cn
          outbound: { source: [{ path: $user/fullName }] }
          inbound: { target: { path: $user/fullName } }
        - ref: sn
          outbound: { source: [{ path: $user/familyName }] }
        - ref: uid
          outbound: { source: [{ path: $user/name }] }
          inbound: { strength: weak, target: { path: $user/name } }
      association:
        - ref: ri:group
          kind: entitlement
          intent: group
          associationAttribute: member
          valueAttribute: dn
          placeholderValue: cn=nobody
    - kind: entitlement
      intent: group
      objectClass: groupOfNames
${addFocusLinkSynchronizeUnlink}---
kind: Role
name: Crew
inducement:
  - construction:
      resourceRef: ${oid}
      association:
        - ref: ri:group
          targets: ["${CREW}"]
---
kind: User
name: jack
fullName: Jack Sparrow
givenName: Jack
familyName: Sparrow
assignment:
  - targetRef: Crew
`;
}

async function members(group: string): Promise<string[]> {
  const member = (await admin.search(group, { scope: 'base', attributes: ['member'] })).searchEntries[0]?.member ?? [];
  return (Array.isArray(member) ? member : [member]).map((m) => String(m).toLowerCase());
}

async function entryUuid(dn: string): Promise<string> {
  return String((await admin.search(dn, { scope: 'base', attributes: ['entryUUID'] })).searchEntries[0].entryUUID);
}

async function status(): Promise<LiveSyncStatus> {
  const [listing] = await liveSyncStatuses(tally.services, oid);
  if (!listing.status) throw new Error('live sync of the shared-base resource does not run');
  return listing.status;
}

const shadowNames = async () =>
  (await tally.inspect.shadows.find({ resourceRef: oid }, { projection: { _id: 0, secondaryIdentifier: 1 } })).map((s) =>
    String(s.secondaryIdentifier).toLowerCase(),
  );
const userNames = async () => (await tally.inspect.users.find({}, { projection: { _id: 0, name: 1 } })).map((u) => u.name);
/** What `tally status` lists of this resource (other test files share the Temporal namespace). */
const stuckHere = async () => (await stuckOperations(tally.services.client, { repo: tally.services.repo })).filter((o) => o.resource === oid || o.workflowId.includes(oid));

const change = (operation: 'add' | 'delete' | 'replace', type: string, values: string[]) => new Change({ operation, modification: new Attribute({ type, values }) });

beforeAll(async () => {
  const password = `shared-${randomBytes(9).toString('hex')}`;
  slapd = await startSlapd({ dataDir: scratchDir('shared-base'), adminPassword: password, groups: ['crew', 'parrots'] });
  tally = await startTally('sharedbase');
  process.env[PASSWORD_ENV] = password;
  admin = new LdapClient({ url: slapd.url });
  await admin.bind(slapd.bindDn, password);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-shared-base-'));
  writeFileSync(path.join(dir, 'config.yaml'), configYaml(slapd.url));
  await applyAndProvision(tally.services, [dir]);
  expect(await members(CREW)).toContain(JACK);

  await startLiveSync(tally.services, oid, { intervalMs: 200 });
  await eventually(() => status().catch(() => null), (s) => (s?.polls ?? 0) >= 2, 'live sync polling');
}, 180_000);

afterAll(async () => {
  await signalLiveSync(tally.services, oid, 'stop').catch(() => undefined);
  await admin?.unbind().catch(() => undefined);
  await tally?.stop();
  await slapd?.stop();
});

test('groups changed by hand under the accounts base are no accounts: no shadow, no user, nothing failed; a strong membership removed by hand comes back', async () => {
  const before = await status();
  // The admin edits the crew: a new description, and jack out (cn=nobody in, as groupOfNames needs a member).
  await admin.modify(CREW, [change('replace', 'description', ['The Black Pearl crew']), change('add', 'member', ['cn=nobody']), change('delete', 'member', [JACK])]);
  await admin.modify(PARROTS, [change('replace', 'description', ['Birds of the crew'])]);
  expect(await members(CREW)).not.toContain(JACK);

  await eventually(() => members(CREW), (m) => m.includes(JACK), 'jack back in the crew', 30_000);
  const settled = await status();
  await eventually(status, (s) => s.polls >= settled.polls + 3, 'three more polls');

  const after = await status();
  expect(after.changes).toBeGreaterThan(before.changes);
  expect(after.handedOver).toBe(before.handedOver);
  expect(after.lastErrors).toEqual([]);
  expect(await shadowNames()).toEqual([JACK]);
  expect(await userNames()).toEqual(['jack']);
  expect(await stuckHere()).toEqual([]);
}, 90_000);

test('reading by DN or entryUUID through the account type returns no group, and through the group type no account', async () => {
  const { connector, resource } = await tally.services.connectors.connectorFor(oid);
  const [crewUuid, jackUuid] = [await entryUuid(CREW), await entryUuid(JACK)];

  await expect(connector.get({ secondaryIdentifier: CREW })).rejects.toMatchObject({ kind: 'not-found' });
  await expect(connector.get({ primaryIdentifier: crewUuid })).rejects.toMatchObject({ kind: 'not-found' });
  await expect(connector.modify(crewUuid, [{ path: 'description', replace: ['Not an account'] }])).rejects.toMatchObject({ kind: 'not-found' });
  expect((await connector.get({ secondaryIdentifier: JACK })).primaryIdentifier).toBe(jackUuid);
  expect((await connector.get({ primaryIdentifier: jackUuid })).secondaryIdentifier.toLowerCase()).toBe(JACK);

  if (resource.connector.type !== 'ldap') throw new Error('an LDAP resource');
  const groups = ldapObjectTypes(resource.connector, resource.schemaHandling.objectType).entitlements.find((t) => t.intent === 'group')!;
  expect(groups.base).toBe(SUFFIX);
  await expect(readByDn(admin, groups, JACK, ['1.1'])).rejects.toMatchObject({ kind: 'not-found' });
  await expect(findByIdentifier(admin, groups, 'entryUUID', jackUuid, ['1.1'])).rejects.toMatchObject({ kind: 'not-found' });
  expect((await readByDn(admin, groups, CREW, ['1.1'])).dn.toLowerCase()).toBe(CREW);
  expect((await findByIdentifier(admin, groups, 'entryUUID', crewUuid, ['1.1'])).dn.toLowerCase()).toBe(CREW);
});

test("the changelog routes a group's own change away from the accounts and keeps its member changes as the accounts'", async () => {
  const { connector } = await tally.services.connectors.connectorFor(oid);
  const start = await connector.latestToken();
  await admin.modify(PARROTS, [change('replace', 'description', ['Loud birds']), change('add', 'member', [JACK])]);

  const page = await connector.changesSince(start);
  expect(page.changes.map((c) => ({ name: c.secondaryIdentifier?.toLowerCase(), deltas: c.attributeDeltas }))).toEqual([
    { name: JACK, deltas: [{ path: 'association/group', add: [PARROTS] }] },
  ]);
  expect(page.token).not.toBe(start);
});

test('a reconciliation of the resource counts no error and makes no user of a group', async () => {
  const started = await startResourceRun(tally.services, { type: 'recon', resource: oid });
  const summary = await waitForRun(tally.services, started.workflowId, () => undefined);
  expect(summary.errors).toBe(0);
  expect(summary.seen).toBe(1);
  expect(await userNames()).toEqual(['jack']);
  expect(await shadowNames()).toEqual([JACK]);
  expect(await members(CREW)).toContain(JACK);
}, 120_000);
