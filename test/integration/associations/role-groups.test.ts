/**
 * Roles projected to their own LDAP groups (midPoint's entitlement objects), on the real directory: a
 * role whose own assignment holds a construction of kind entitlement gets its group (dn, cn, description
 * from the role) through `tally apply`; its holders become members through `associationFromLink`;
 * renaming the role renames the group; removing the construction deletes it; reconciliation puts back
 * what was changed on the group by hand and links a group already there under the role's name.
 */
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ldapGroupsResourceYaml } from '../../support/ldap-resource-yaml';
import { runTallyCli, tallyCliOk } from '../../support/tally-cli';
import { withLdapAdmin } from '../../support/ldap-admin';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';
import type { StoredRole } from '../../../src/repository/repository';

const RESOURCE_OID = 'c0c010c0-6a0c-4000-8000-000000000016';
const GUNNERS_OID = 'c0c010c0-6a0c-4000-8000-0000000016a1';
const RIGGERS_OID = 'c0c010c0-6a0c-4000-8000-0000000016a2';
const PLACEHOLDER = 'cn=nobody';

let tally: TallyHarness;
let people: string;
let groups: string;
let dir: string;

const groupDn = (cn: string) => `cn=${cn},${groups}`;
const willDn = () => `cn=Will Turner,${people}`;

const ldap = <T>(fn: (c: LdapClient) => Promise<T>) => withLdapAdmin(tally.stack, fn);

/** The group's entry (cn, description, member lower-cased and sorted, entryUUID), or null when there is none. */
async function group(dn: string): Promise<{ cn: string; description: string; member: string[]; entryUUID: string } | null> {
  return ldap(async (c) => {
    try {
      const { searchEntries } = await c.search(dn, { scope: 'base', attributes: ['cn', 'description', 'member', 'entryUUID'] });
      const entry = searchEntries[0];
      if (!entry) return null;
      const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
      return { cn: String(entry.cn), description: list(entry.description).join(), member: list(entry.member).map((m) => m.toLowerCase()).sort(), entryUUID: String(entry.entryUUID) };
    } catch (e) {
      if ((e as { code?: number }).code === 32) return null;
      throw e;
    }
  });
}

const tallyCli = (...args: string[]) => tallyCliOk(tally.env, args);

/** A role with its own group on the directory (unless `projected` is false) whose holders are its members. */
function roleYaml(options: { oid: string; name: string; description: string; projected?: boolean }): string {
  return `kind: Role
oid: ${options.oid}
name: ${options.name}
description: ${options.description}
${options.projected === false ? '' : `assignment:
  - construction: { resourceRef: Directory with role groups, kind: entitlement, intent: group }
`}inducement:
  - construction:
      resourceRef: Directory with role groups
      association:
        - ref: ri:group
          associationFromLink: {}
`;
}

async function applyFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return tallyCli('apply', '-f', file);
}

const role = async (oid: string) => (await tally.services.repo.config.object('Role', oid)) as StoredRole | null;

beforeAll(async () => {
  tally = await startTally('rolegroups');
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  people = `ou=people-${suffix},dc=example,dc=com`;
  groups = `ou=groups-${suffix},dc=example,dc=com`;
  await ldap(async (c) => {
    await c.add(people, { objectClass: ['top', 'organizationalUnit'], ou: `people-${suffix}` });
    await c.add(groups, { objectClass: ['top', 'organizationalUnit'], ou: `groups-${suffix}` });
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'tally-role-groups-'));
  // The entitlement type's outbound mappings read the role projected to it.
  const entitlementMappings = `      attribute:
        - ref: icfs:name
          outbound:
            source: [{ path: $focus/name }]
            expression: { script: { code: "'cn=' + name + ',${groups}'" } }
        - ref: ri:cn
          outbound: { strength: strong, source: [{ path: $focus/name }] }
        - ref: ri:description
          outbound: { strength: strong, source: [{ path: $focus/description }] }
`;
  const resource = ldapGroupsResourceYaml({ oid: RESOURCE_OID, name: 'Directory with role groups', ldap: tally.stack.ldap, people, groups }).replace(
    '      searchFilter: (objectClass=groupOfNames)\n',
    `      searchFilter: (objectClass=groupOfNames)\n${entitlementMappings}`,
  );
  writeFileSync(path.join(dir, 'resource.yaml'), resource);
  writeFileSync(path.join(dir, 'will.yaml'), 'kind: User\nname: will\ngivenName: Will\nfamilyName: Turner\n');
  await tallyCli('apply', '-f', path.join(dir, 'resource.yaml'), path.join(dir, 'will.yaml'));
}, 180_000);

afterAll(async () => {
  await tally?.stop();
});

test('applying a role with an entitlement construction creates its group, linked to the role', async () => {
  await applyFile('gunners.yaml', roleYaml({ oid: GUNNERS_OID, name: 'Gunners', description: 'Those who fire the cannons' }));
  const created = await eventually(() => group(groupDn('Gunners')), (g) => g !== null, 'the role\'s group created');
  expect(created).toMatchObject({ cn: 'Gunners', description: 'Those who fire the cannons', member: [PLACEHOLDER] });
  // The shadow learns of the entry once the create has answered: on a loaded machine, a moment after the entry shows.
  const [shadow] = await eventually(() => tally.services.repo.shadows.ofOwner(GUNNERS_OID), (s) => s[0]?.exists === true, "the group's shadow marked existing");
  expect(shadow).toMatchObject({ kind: 'entitlement', intent: 'group', primaryIdentifier: created!.entryUUID, exists: true });
  expect((await role(GUNNERS_OID))?.linkRef).toEqual([shadow.oid]);
});

test('a user assigned the role becomes a member of the role\'s group', async () => {
  await tallyCli('user', 'assign', 'will', 'Gunners', '--wait');
  expect((await group(groupDn('Gunners')))?.member).toEqual([willDn().toLowerCase()]);
});

test('a simulated rename of the role predicts its group\'s rename, and renames nothing', async () => {
  const file = path.join(dir, 'cannoneers.yaml');
  writeFileSync(file, roleYaml({ oid: GUNNERS_OID, name: 'Cannoneers', description: 'Those who fire the cannons' }));
  const simulated = await tallyCli('apply', '--simulate', '-f', file, '--json');
  const { simulation } = JSON.parse(simulated) as { simulation: { id: string; counts: Record<string, number> } };
  expect(simulation.counts).toMatchObject({ objects: 1, accountsModified: 1, accountsAdded: 0, accountsDeleted: 0, errors: 0 });
  const shown = await tallyCli('simulation', 'show', simulation.id);
  expect(shown).toMatch(new RegExp(`\\nrole Cannoneers\\n {2}modify Directory with role groups account ${groupDn('Cannoneers')} `));
  expect((await role(GUNNERS_OID))?.name).toBe('Gunners');
  expect(await group(groupDn('Cannoneers'))).toBeNull();
  expect((await group(groupDn('Gunners')))?.member).toEqual([willDn().toLowerCase()]);
});

test('renaming the role renames its group; its members stay in it', async () => {
  await applyFile('gunners.yaml', roleYaml({ oid: GUNNERS_OID, name: 'Cannoneers', description: 'Those who fire the cannons' }));
  const renamed = await eventually(() => group(groupDn('Cannoneers')), (g) => g !== null, 'the group renamed');
  expect(renamed).toMatchObject({ cn: 'Cannoneers', member: [willDn().toLowerCase()] });
  expect(await group(groupDn('Gunners'))).toBeNull();
  const [shadow] = await tally.services.repo.shadows.ofOwner(GUNNERS_OID);
  expect(shadow.secondaryIdentifier?.toLowerCase()).toBe(groupDn('Cannoneers').toLowerCase());
  // The holder's next recompute finds his membership as the role asks for it: nothing to change.
  await tallyCli('user', 'set', 'will', 'title=Gunner', '--wait');
  expect((await group(groupDn('Cannoneers')))?.member).toEqual([willDn().toLowerCase()]);
});

test('reconciliation puts back a group\'s strong values changed by hand, and links a group already there to its role', async () => {
  await ldap((c) => c.modify(groupDn('Cannoneers'), [new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: ['Mutineers'] }) })]));
  await ldap((c) => c.add(groupDn('Riggers'), { objectClass: 'groupOfNames', cn: 'Riggers', member: PLACEHOLDER, description: 'made by hand' }));
  // Stored without starting its projection, as if Tally had been down when the role was applied.
  const { applyConfig } = await import('../../../src/admin/apply-config');
  writeFileSync(path.join(dir, 'riggers.yaml'), roleYaml({ oid: RIGGERS_OID, name: 'Riggers', description: 'Those who work the sails' }));
  await applyConfig(tally.services.repo, tally.services.key, [path.join(dir, 'riggers.yaml')]);
  const riggersUuid = (await group(groupDn('Riggers')))!.entryUUID;

  const out = JSON.parse(await tallyCli('reconcile', 'Directory with role groups', '--wait', '--json'));
  expect(out.summary).toMatchObject({ phase: 'finished', errors: 0 });
  expect((await group(groupDn('Cannoneers')))?.description).toBe('Those who fire the cannons');
  expect(await group(groupDn('Riggers'))).toMatchObject({ description: 'Those who work the sails', entryUUID: riggersUuid });
  const [riggers] = await tally.services.repo.shadows.ofOwner(RIGGERS_OID);
  expect(riggers).toMatchObject({ kind: 'entitlement', primaryIdentifier: riggersUuid });
  expect((await role(RIGGERS_OID))?.linkRef).toEqual([riggers.oid]);
});

test('removing the role\'s construction deletes its group, and with it the membership', async () => {
  await applyFile('gunners.yaml', roleYaml({ oid: GUNNERS_OID, name: 'Cannoneers', description: 'Those who fire the cannons', projected: false }));
  await eventually(() => group(groupDn('Cannoneers')), (g) => g === null, 'the group deleted');
  await eventually(() => role(GUNNERS_OID), (r) => (r?.linkRef ?? []).length === 0, 'the role unlinked');
  const memberships = await ldap((c) => c.search(groups, { scope: 'sub', filter: `(member=${willDn()})`, attributes: ['1.1'] }));
  expect(memberships.searchEntries).toEqual([]);
});

test('deleting a role still assigned is refused; with --unassign its holder loses it, its group is deleted, and the role is gone', async () => {
  await tallyCli('user', 'assign', 'will', 'Riggers', '--wait');
  expect((await group(groupDn('Riggers')))?.member).toEqual([willDn().toLowerCase()]);

  const refused = await runTallyCli(tally.env, ['role', 'delete', 'Riggers']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("role 'Riggers' is assigned to will: unassign it first, or delete it with --unassign");
  expect(await role(RIGGERS_OID)).not.toBeNull();

  const out = await tallyCli('role', 'delete', 'Riggers', '--unassign', '--wait');
  expect(out).toContain('role Riggers deleted');
  expect(await group(groupDn('Riggers'))).toBeNull();
  expect(await role(RIGGERS_OID)).toBeNull();
  expect(await tally.services.repo.shadows.ofOwner(RIGGERS_OID)).toEqual([]);
  const will = await tally.services.repo.users.byRef('will');
  expect(will?.assignment.map((a) => a.targetRef)).not.toContain(RIGGERS_OID);
  expect(await tallyCli('roles')).not.toContain('Riggers');
});

test('holders assigned before the role had a group become its members when the group is created', async () => {
  const BOSUNS_OID = 'c0c010c0-6a0c-4000-8000-0000000016a3';
  await applyFile('bosuns.yaml', roleYaml({ oid: BOSUNS_OID, name: 'Bosuns', description: 'Keepers of the deck', projected: false }));
  await tallyCli('user', 'assign', 'will', 'Bosuns', '--wait');
  expect(await group(groupDn('Bosuns'))).toBeNull();

  await applyFile('bosuns.yaml', roleYaml({ oid: BOSUNS_OID, name: 'Bosuns', description: 'Keepers of the deck' }));
  const created = await eventually(() => group(groupDn('Bosuns')), (g) => (g?.member ?? []).includes(willDn().toLowerCase()), 'will a member of the new group');
  expect(created?.member).toEqual([willDn().toLowerCase()]);
});
