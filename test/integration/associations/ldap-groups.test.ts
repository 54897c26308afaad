/**
 * LDAP groups through roles, on the real directory: a resource set up as midPoint's OpenLDAP sample
 * (accounts under one container, groupOfNames under another, the `ri:group` association), roles whose
 * constructions give groups. Each step is driven through `bin/tally` and checked with an LDAP search
 * of the groups' `member`.
 */
import { applyConfig } from '../../../src/admin/apply-config';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { ldapGroupsResourceYaml } from '../../support/ldap-resource-yaml';
import { tallyCliOk } from '../../support/tally-cli';
import { withLdapAdmin } from '../../support/ldap-admin';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RESOURCE_OID = 'c0c010c0-6a0c-4000-8000-000000000011';
const PLACEHOLDER = 'cn=nobody';

let tally: TallyHarness;
let people: string;
let groups: string;
let crew: string;
let officers: string;
let willOid: string;

const dnOf = (cn: string) => `cn=${cn},${people}`;

const ldap = <T>(fn: (c: LdapClient) => Promise<T>) => withLdapAdmin(tally.stack, fn);

/** The group's member values, lower-cased, sorted. */
async function members(group: string): Promise<string[]> {
  const { searchEntries } = await ldap((c) => c.search(group, { scope: 'base', attributes: ['member'] }));
  const values = searchEntries[0]?.member ?? [];
  return (Array.isArray(values) ? values : [values]).map((v) => String(v).toLowerCase()).sort();
}

async function entryExists(dn: string): Promise<boolean> {
  return ldap(async (c) => {
    try {
      return (await c.search(dn, { scope: 'base', attributes: ['1.1'] })).searchEntries.length === 1;
    } catch (e) {
      if ((e as { code?: number }).code === 32) return false;
      throw e;
    }
  });
}

const tallyCli = (...args: string[]) => tallyCliOk(tally.env, args);

const membersBecome = (group: string, expected: string[], what: string) =>
  eventually(() => members(group), (m) => JSON.stringify(m) === JSON.stringify(expected.map((v) => v.toLowerCase()).sort()), what);

beforeAll(async () => {
  tally = await startTally('groups');
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  people = `ou=people-${suffix},dc=example,dc=com`;
  groups = `ou=groups-${suffix},dc=example,dc=com`;
  crew = `cn=crew,${groups}`;
  officers = `cn=officers,${groups}`;
  await ldap(async (c) => {
    await c.add(people, { objectClass: ['top', 'organizationalUnit'], ou: `people-${suffix}` });
    await c.add(groups, { objectClass: ['top', 'organizationalUnit'], ou: `groups-${suffix}` });
    for (const group of [crew, officers]) await c.add(group, { objectClass: 'groupOfNames', cn: group.slice(3, group.indexOf(',')), member: PLACEHOLDER });
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-groups-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapGroupsResourceYaml({ oid: RESOURCE_OID, name: 'Directory with groups', ldap: tally.stack.ldap, people, groups }),
  );
  const role = (name: string, group: string) => `kind: Role
name: ${name}
inducement:
  - construction:
      resourceRef: Directory with groups
      association:
        - ref: ri:group
          targets: ["${group}"]
`;
  writeFileSync(path.join(dir, 'roles.yaml'), `${role('Sailor', crew)}---\n${role('Officer', officers)}`);
  writeFileSync(path.join(dir, 'will.yaml'), 'kind: User\nname: will\ngivenName: Will\nfamilyName: Turner\n');
  await applyConfig(tally.services.repo, tally.services.key, [dir]);
  willOid = (await tally.services.repo.users.byRef('will'))!.oid;
}, 180_000);

afterAll(async () => {
  await tally?.stop();
});

test('assigning a role creates the account and makes it a member of the role\'s group', async () => {
  await tallyCli('user', 'assign', 'will', 'Sailor', '--wait', '--json');
  expect(await entryExists(dnOf('Will Turner'))).toBe(true);
  // The placeholder made way for the first real member.
  expect(await members(crew)).toEqual([dnOf('Will Turner').toLowerCase()]);
  expect(await members(officers)).toEqual([PLACEHOLDER]);
  const [shadow] = await tally.services.repo.shadows.ofOwner(willOid);
  expect(shadow.attributes?.['association/group']).toEqual([crew]);
});

test('a second role gives the existing account its group too; unassigning it takes only that membership away', async () => {
  await tallyCli('user', 'assign', 'will', 'Officer', '--wait', '--json');
  expect(await members(officers)).toEqual([dnOf('Will Turner').toLowerCase()]);

  await tallyCli('user', 'unassign', 'will', 'Officer', '--wait', '--json');
  // Its last real member gone, the group holds the placeholder again (groupOfNames needs a member).
  expect(await members(officers)).toEqual([PLACEHOLDER]);
  expect(await members(crew)).toEqual([dnOf('Will Turner').toLowerCase()]);
  expect(await entryExists(dnOf('Will Turner'))).toBe(true);
});

test('a rename of the account keeps its memberships: the group lists the new DN', async () => {
  await tallyCli('user', 'set', 'will', 'familyName=Sparrow', '--wait', '--json');
  expect(await entryExists(dnOf('Will Sparrow'))).toBe(true);
  expect(await entryExists(dnOf('Will Turner'))).toBe(false);
  expect(await members(crew)).toEqual([dnOf('Will Sparrow').toLowerCase()]);
});

test('a membership removed behind Tally\'s back is read back by sync and put back by reconciliation', async () => {
  const dn = dnOf('Will Sparrow');
  await ldap((c) =>
    c.modify(crew, [
      new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [PLACEHOLDER] }) }),
      new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: [dn] }) }),
    ]),
  );
  expect(await members(crew)).toEqual([PLACEHOLDER]);
  const shadowOid = (await tally.services.repo.shadows.ofOwner(willOid))[0].oid;
  expect((await tally.services.repo.shadows.get(shadowOid))?.attributes?.['association/group']).toEqual([crew]);

  // A reported change of the account reads it again: the shadow knows the membership is gone.
  await tallyCli('change', 'Directory with groups', dn, '--wait', '--json');
  await eventually(() => tally.services.repo.shadows.get(shadowOid), (s) => s?.attributes?.['association/group'] === undefined, 'the shadow without the membership');

  // Reconciliation compares every account with what its owner's roles ask for: the strong membership is put back.
  const out = await tallyCli('reconcile', 'Directory with groups', '--wait', '--json');
  expect(JSON.parse(out).summary).toMatchObject({ phase: 'finished', seen: 1, synchronized: 1, errors: 0 });
  await membersBecome(crew, [dn], 'membership put back by reconciliation');
  expect((await tally.services.repo.shadows.get(shadowOid))?.attributes?.['association/group']).toEqual([crew]);
});

test('unassigning the last role deletes the account and its membership', async () => {
  await tallyCli('user', 'unassign', 'will', 'Sailor', '--wait', '--json');
  await eventually(() => entryExists(dnOf('Will Sparrow')), (exists) => !exists, 'the account deleted');
  expect(await members(crew)).toEqual([PLACEHOLDER]);
});
