/**
 * midPoint's attribute names on the real LDAP directory, from the outside (`tally apply`, import,
 * reconciliation):
 * - `ri:dn` is the entry's name: the sample's protected administrator entry (`uid=idm,ou=Administrators`,
 *   protected by `attributes/ri:dn`) is not correlated to the user idm, linked or changed, nor does its
 *   status flow into him;
 * - protected filters with `endsWith` (a whole OU of service accounts, compared as distinguished names)
 *   and `or` (with a matching rule of their own) protect what they say, and nothing else;
 * - an attribute the object type's objects can't have (the directory's subschema says) is refused at apply,
 *   wherever it is written (an outbound mapping, correlation, a protected filter, an association), with
 *   file:line, and nothing is stored; a directory that can't be reached doesn't block the apply;
 * - the same in roles' and users' constructions, for the resource they target (stored, or in the same apply):
 *   a role's `ri:dn` and a user's `dn` name the account; a misspelled attribute, in an inducement, a role's own
 *   entitlement construction or a user's construction, and an association the resource doesn't define are
 *   refused with file:line, and nothing is stored.
 */
import { addFocusLinkSynchronizeUnlinkReactions, resourceHead } from '../../support/ldap-resource-yaml';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import type { ShadowDoc } from '../../../src/schema/objects';
import type { RunSummary } from '../../../src/workflows/resource-run';
import { runTallyCli } from '../../support/tally-cli';
import { writeConfigDir } from '../../support/config-dir';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const resourceOid = randomUUID();
let tally: TallyHarness;
let ldap: LdapClient;
let base: string;

const admins = () => `ou=Administrators,${base}`;
const people = () => `ou=people,${base}`;
const services = () => `ou=services,${base}`;
const adminDn = () => `uid=idm,${admins()}`;

/** The sample's resource: midPoint's names for the DN, the protected administrator, a service OU, an `or` filter. */
function resourceYaml(): string {
  return `${resourceHead({ oid: resourceOid, name: 'Names LDAP', ldap: tally.stack.ldap }, base)}
schemaHandling:
  objectType:
    - name: Default Account
      default: true
      objectClass: inetOrgPerson
      protected:
        - filter: { equal: { path: attributes/ri:dn, value: "${adminDn()}" } }
        - filter: { endsWith: { path: attributes/ri:dn, value: "OU=Services, ${base}" } }
        - filter:
            or:
              - { equal: { path: attributes/ri:employeeType, value: robot } }
              - { equal: { path: attributes/ri:description, value: BREAK GLASS, matchingRule: stringIgnoreCase } }
      attribute:
        - ref: ri:dn
          outbound: { strength: weak, source: [{ path: $user/name }], expression: { script: { code: "'uid=' + name + ',${people()}'" } } }
        - ref: ri:entryUUID
          access: [read]
        - ref: ri:uid
          outbound: { source: [{ path: $user/name }] }
          inbound: { strength: weak, target: { path: $user/name } }
        - ref: ri:cn
          outbound: { source: [{ path: $user/fullName }] }
          inbound: { target: { path: $user/fullName } }
        - ref: ri:sn
          outbound: { source: [{ path: $user/familyName }] }
      activation:
        administrativeStatus: { attribute: businessCategory, disabledValue: disabled, inbound: { strength: strong } }
synchronization:
  correlation:
    equal: { path: $user/name, expression: { path: $account/attributes/ri:uid } }
${addFocusLinkSynchronizeUnlinkReactions}`;
}

async function addPerson(dn: string, attributes: Record<string, string>): Promise<void> {
  const uid = dn.slice(4, dn.indexOf(','));
  await ldap.add(dn, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid, sn: uid, cn: uid, ...attributes });
}

async function entry(dn: string): Promise<Record<string, unknown>> {
  const { searchEntries } = await ldap.search(dn, { scope: 'base', attributes: ['uid', 'cn', 'sn', 'businessCategory', 'modifiersName'] });
  return searchEntries[0] as Record<string, unknown>;
}

async function run(type: 'import' | 'recon'): Promise<RunSummary> {
  const started = await startResourceRun(tally.services, { type, resource: resourceOid });
  return waitForRun(tally.services, started.workflowId, () => undefined, 200);
}

const shadowOf = async (dn: string): Promise<ShadowDoc | undefined> =>
  (await tally.services.repo.shadows.find({ resourceRef: resourceOid })).find((s) => s.exists && s.secondaryIdentifier?.toLowerCase() === dn.toLowerCase());

/** The protected entries, and the others that look like them but aren't. */
const protectedDns = () => [adminDn(), `uid=svc-backup,${services()}`, `uid=svc-mail,${services()}`, `uid=robo,${people()}`, `uid=glass,${people()}`];

beforeAll(async () => {
  tally = await startTally('names');
  base = `ou=names-${tally.settings.TALLY_TASK_QUEUE.slice(-8)},dc=example,dc=com`;
  ldap = new LdapClient({ url: tally.stack.ldap.url });
  await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou: base.split(',')[0]!.slice(3) });
  for (const ou of ['Administrators', 'people', 'services']) await ldap.add(`ou=${ou},${base}`, { objectClass: ['top', 'organizationalUnit'], ou });
  await addPerson(adminDn(), { cn: 'IDM Administrator', businessCategory: 'disabled' });
  await addPerson(`uid=svc-backup,${services()}`, { cn: 'Backup Service' });
  await addPerson(`uid=svc-mail,${services()}`, { cn: 'Mail Service' });
  await addPerson(`uid=robo,${people()}`, { cn: 'Robot', employeeType: 'robot' });
  await addPerson(`uid=glass,${people()}`, { cn: 'Break Glass', description: 'break glass' });
  await addPerson(`uid=jack,${people()}`, { cn: 'Jack Sparrow', sn: 'Sparrow' });
  await addPerson(`uid=anne,${people()}`, { cn: 'Anne Bonny', sn: 'Bonny', description: 'gunner' });
}, 120_000);

afterAll(async () => {
  await ldap?.unbind();
  await tally?.stop();
});

test("tally apply takes the sample's names, the subtree and the or filter, checked against the directory's schema", async () => {
  const applied = await runTallyCli(tally.env, [
    'apply',
    '-f',
    writeConfigDir({
      'resource.yaml': resourceYaml(),
      'users.yaml': 'kind: User\nname: idm\nfullName: IDM Account\nfamilyName: Account\n---\nkind: User\nname: jack\nfullName: Jack Sparrow\nfamilyName: Sparrow\n',
    }),
  ]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  const type = (await tally.services.repo.config.resource(resourceOid))!.schemaHandling.objectType[0]!;
  // What the names mean is stored: ri:dn is the name, ri:entryUUID the stable id.
  expect(type.attribute.map((a) => a.ref)).toEqual(['icfs:name', 'icfs:uid', 'ri:uid', 'ri:cn', 'ri:sn']);
  expect(type.protected[0]).toEqual({ filter: { equal: { path: '$account/attributes/icfs:name', value: adminDn() } } });
}, 60_000);

test('import: the protected administrator is not correlated to idm, nor linked or changed; the subtree and the or filter protect their entries', async () => {
  const summary = await run('import');
  expect(summary).toMatchObject({ phase: 'finished', seen: 7, errors: 0 });
  expect(summary.stats).toMatchObject({ protected: 5 });

  for (const dn of protectedDns()) expect(await shadowOf(dn)).toMatchObject({ protectedObject: true, ownerRef: null });
  const idm = await tally.services.repo.users.byRef('idm');
  expect(idm).toMatchObject({ fullName: 'IDM Account', linkRef: [] });
  expect(idm!.activation?.administrativeStatus).not.toBe('disabled');
  for (const name of ['svc-backup', 'svc-mail', 'robo', 'glass']) expect(await tally.services.repo.users.byRef(name)).toBeNull();
  expect(await entry(adminDn())).toMatchObject({ cn: 'IDM Administrator', sn: 'idm', businessCategory: 'disabled' });

  // The others are synchronized as usual: jack is linked, anne (unmatched) becomes a user.
  const jack = await tally.services.repo.users.byRef('jack');
  expect(await shadowOf(`uid=jack,${people()}`)).toMatchObject({ ownerRef: jack!.oid });
  expect((await shadowOf(`uid=jack,${people()}`))!.protectedObject).toBeFalsy();
  const anne = await tally.services.repo.users.byRef('anne');
  expect(anne).toMatchObject({ fullName: 'Anne Bonny' });
  expect(await shadowOf(`uid=anne,${people()}`)).toMatchObject({ ownerRef: anne!.oid });
}, 120_000);

test('reconciliation: the protected entries are counted as protected and left as they are', async () => {
  const before = await Promise.all(protectedDns().map(entry));
  const summary = await run('recon');
  expect(summary).toMatchObject({ phase: 'finished', seen: 7, errors: 0 });
  expect(summary.stats).toMatchObject({ protected: 5 });
  expect(await Promise.all(protectedDns().map(entry))).toEqual(before);
  expect(await tally.services.repo.users.byRef('idm')).toMatchObject({ fullName: 'IDM Account', linkRef: [] });
}, 120_000);

test('tally apply refuses attributes the object type cannot have, wherever they are written, with file:line; nothing is stored', async () => {
  const otherOid = randomUUID();
  const misspelled = resourceYaml()
    .replace(`oid: ${resourceOid}`, `oid: ${otherOid}`)
    .replace('name: Names LDAP', 'name: Misspelled LDAP')
    .replace('      activation:', '        - ref: ri:tittle\n          outbound: { source: [{ path: $user/title }] }\n      activation:')
    .replace('path: $account/attributes/ri:uid }', 'path: $account/attributes/ri:uidd }')
    .replace('path: attributes/ri:description,', 'path: attributes/ri:descripton,')
    .replace(
      '      activation:',
      `      association:
        - { ref: ri:group, intent: group, associationAttribute: membr, valueAttribute: dn }
      activation:`,
    )
    .replace(
      'synchronization:',
      `    - kind: entitlement
      intent: group
      objectClass: groupOfNames
      objectClasses: [groupOfNames]
      baseContext: ${base}
synchronization:`,
    );
  const lines = misspelled.split('\n');
  const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
  const dir = writeConfigDir({ 'resource.yaml': misspelled, 'will.yaml': 'kind: User\nname: will\nfamilyName: Turner\n' });
  const applied = await runTallyCli(tally.env, ['apply', '-f', dir]);
  expect(applied.code).not.toBe(0);
  const file = path.join(dir, 'resource.yaml');
  const says = (line: number, field: string, attribute: string, type: string, suggestion: string) =>
    `${file}:${line}: ${field}: resource "Misspelled LDAP"'s object type "${type}" has no attribute '${attribute}' (did you mean '${suggestion}'?)`;
  expect(applied.stderr).toContain(says(lineOf('ri:tittle'), 'schemaHandling.objectType[0].attribute[5].ref', 'tittle', 'Default Account', 'title'));
  expect(applied.stderr).toContain(says(lineOf('ri:uidd'), 'synchronization.correlation.equal.expression.path', 'uidd', 'Default Account', 'uid'));
  expect(applied.stderr).toContain(says(lineOf('ri:descripton'), 'schemaHandling.objectType[0].protected[2].filter.or[1].equal.path', 'descripton', 'Default Account', 'description'));
  expect(applied.stderr).toContain(says(lineOf('membr'), 'schemaHandling.objectType[0].association[0].associationAttribute', 'membr', 'entitlement/group', 'member'));
  expect(applied.stderr).toContain('4 problems');

  expect(await tally.services.repo.config.resource(otherOid)).toBeNull();
  expect(await tally.services.repo.users.byRef('will')).toBeNull();
}, 60_000);

test("a directory that can't be reached doesn't block tally apply, which says the names were not checked", async () => {
  const unreachable = resourceYaml()
    .replace(`oid: ${resourceOid}`, `oid: ${randomUUID()}`)
    .replace('name: Names LDAP', 'name: Unreachable LDAP')
    .replace(tally.stack.ldap.url, 'ldap://127.0.0.1:1');
  const applied = await runTallyCli(tally.env, ['apply', '-f', writeConfigDir({ 'resource.yaml': unreachable })]);
  expect(applied.code).toBe(0);
  expect(applied.stderr).toMatch(/resource "Unreachable LDAP": attribute names were not checked: its schema could not be read \(communication: /);
  expect(await tally.services.repo.config.resource('Unreachable LDAP')).not.toBeNull();
}, 60_000);

const navy = () => `ou=navy,${base}`;
/** A construction attribute that names the account in ou=navy, under the identifier's name `ref`. */
const navyName = (ref: string) =>
  `        - ref: ${ref}\n          outbound: { strength: strong, source: [{ path: $user/name }], expression: { script: { code: "'uid=' + name + ',${navy()}'" } } }\n`;

test("a role's construction writing ri:dn, and a user's writing dn, name the account", async () => {
  await ldap.add(navy(), { objectClass: ['top', 'organizationalUnit'], ou: 'navy' });
  const role = `kind: Role
name: Navigator
inducement:
  - construction:
      resourceRef: Names LDAP
      attribute:
${navyName('ri:dn')}        - ref: ri:title
          outbound: { expression: { value: Navigator } }
`;
  const users = `kind: User
name: hoop
fullName: Hoop Navigator
familyName: Navigator
assignment: [{ targetRef: Navigator }]
---
kind: User
name: gibbs
fullName: Joshamee Gibbs
familyName: Gibbs
assignment:
  - construction:
      resourceRef: Names LDAP
      attribute:
${navyName('dn')}`;
  const applied = await runTallyCli(tally.env, ['apply', '-f', writeConfigDir({ 'role.yaml': role, 'users.yaml': users })]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);

  const navyEntry = async (uid: string) => (await ldap.search(navy(), { scope: 'one', filter: `(uid=${uid})`, attributes: ['uid', 'title', 'sn'] })).searchEntries[0];
  const hoop = await eventually(() => navyEntry('hoop'), (e) => e !== undefined, 'uid=hoop under ou=navy', 30_000);
  expect(hoop).toMatchObject({ dn: `uid=hoop,${navy()}`, title: 'Navigator', sn: 'Navigator' });
  const gibbs = await eventually(() => navyEntry('gibbs'), (e) => e !== undefined, 'uid=gibbs under ou=navy', 30_000);
  expect(gibbs).toMatchObject({ dn: `uid=gibbs,${navy()}`, sn: 'Gibbs' });
  for (const name of ['hoop', 'gibbs']) {
    const user = await tally.services.repo.users.byRef(name);
    expect(await shadowOf(`uid=${name},${navy()}`)).toMatchObject({ ownerRef: user!.oid });
    expect(user!.linkRef).toHaveLength(1);
  }
  // What the name means is stored.
  const stored = await tally.services.repo.config.role('Navigator');
  expect(stored!.inducement[0]!.construction!.attribute.map((a) => a.ref)).toEqual(['icfs:name', 'ri:title']);
}, 120_000);

test("tally apply refuses, with file:line, a role's attribute and association the stored resource's object type doesn't have; nothing is stored", async () => {
  const role = `kind: Role
name: Quartermaster
inducement:
  - construction:
      resourceRef: Names LDAP
      attribute:
        - ref: ri:titel
          outbound: { expression: { value: Quartermaster } }
      association:
        - { ref: ri:group, targets: ["cn=quartermasters,${base}"] }
`;
  const user = 'kind: User\nname: quartermaster\nfamilyName: Master\nassignment: [{ targetRef: Quartermaster }]\n';
  const dir = writeConfigDir({ 'role.yaml': role, 'user.yaml': user });
  const applied = await runTallyCli(tally.env, ['apply', '-f', dir]);
  expect(applied.code).not.toBe(0);
  const lines = role.split('\n');
  const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
  const file = path.join(dir, 'role.yaml');
  expect(applied.stderr).toContain(
    `${file}:${lineOf('ri:titel')}: inducement[0].construction.attribute[0].ref: resource "Names LDAP"'s object type "Default Account" has no attribute 'titel' (did you mean 'title'?)`,
  );
  expect(applied.stderr).toContain(
    `${file}:${lineOf('ref: ri:group')}: inducement[0].construction.association[0].ref: resource "Names LDAP" has no association "ri:group" on its account type "default" (it defines none)`,
  );
  expect(applied.stderr).toContain('2 problems');
  expect(await tally.services.repo.config.role('Quartermaster')).toBeNull();
  expect(await tally.services.repo.users.byRef('quartermaster')).toBeNull();
}, 60_000);

test("the same for a resource in the same apply: a role's own entitlement construction and a user's construction", async () => {
  const resource = resourceYaml()
    .replace(`oid: ${resourceOid}`, `oid: ${randomUUID()}`)
    .replace('name: Names LDAP', 'name: Crew LDAP')
    .replace(
      '      activation:',
      `      association:
        - { ref: ri:group, intent: crew, associationAttribute: member, valueAttribute: dn }
      activation:`,
    )
    .replace(
      'synchronization:',
      `    - kind: entitlement
      intent: crew
      objectClass: groupOfNames
      baseContext: ${base}
      attribute:
        - ref: ri:cn
          outbound: { strength: strong, source: [{ path: $focus/name }] }
synchronization:`,
    );
  const role = `kind: Role
name: Gunners
assignment:
  - construction:
      resourceRef: Crew LDAP
      kind: entitlement
      intent: crew
      attribute:
        - ref: ri:dn
          outbound: { strength: strong, source: [{ path: $focus/name }], expression: { script: { code: "'cn=' + name + ',${base}'" } } }
        - ref: ri:descripton
          outbound: { expression: { value: The gunners } }
`;
  const user = `kind: User
name: gunner
familyName: Gunner
assignment:
  - construction:
      resourceRef: Crew LDAP
      attribute:
        - ref: ri:telephonNumber
          outbound: { expression: { value: "+1 555 0100" } }
`;
  const dir = writeConfigDir({ 'resource.yaml': resource, 'role.yaml': role, 'user.yaml': user });
  const applied = await runTallyCli(tally.env, ['apply', '-f', dir]);
  expect(applied.code).not.toBe(0);
  const at = (file: string, text: string, what: string) => `${path.join(dir, file)}:${text.split('\n').findIndex((l) => l.includes(what)) + 1}`;
  expect(applied.stderr).toContain(
    `${at('role.yaml', role, 'ri:descripton')}: assignment[0].construction.attribute[1].ref: resource "Crew LDAP"'s object type "entitlement/crew" has no attribute 'descripton' (did you mean 'description'?)`,
  );
  expect(applied.stderr).toContain(
    `${at('user.yaml', user, 'ri:telephonNumber')}: assignment[0].construction.attribute[0].ref: resource "Crew LDAP"'s object type "Default Account" has no attribute 'telephonNumber' (did you mean 'telephoneNumber'?)`,
  );
  expect(applied.stderr).toContain('2 problems');
  expect(applied.stderr).not.toContain("'dn'");
  expect(await tally.services.repo.config.resource('Crew LDAP')).toBeNull();
  expect(await tally.services.repo.config.role('Gunners')).toBeNull();
  expect(await tally.services.repo.users.byRef('gunner')).toBeNull();
}, 60_000);
