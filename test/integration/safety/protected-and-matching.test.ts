/**
 * Safety and comparison on the real LDAP directory, from the outside (`tally apply`, import,
 * reconciliation, `tally shadows`, the HTTP API, `tally user set`):
 * - protected accounts (an admin entry by name, a system entry by an attribute) are never linked or
 *   changed, a user whose account name collides with one doesn't touch it, and they are shown as protected;
 * - `uid` JACK is jack under `stringIgnoreCase`: correlation finds jack, and reconciliation finds
 *   nothing to change in an account whose uid, cn and DN differ from what Tally wants only in case;
 * - midPoint's `$c:user/c:title`, `$user/c:name` and `ri:` paths work, and `title` / `telephoneNumber`
 *   flow in and out.
 */
import { addFocusLinkSynchronizeUnlinkReactions, resourceHead } from '../../support/ldap-resource-yaml';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import type { ShadowDoc } from '../../../src/schema/objects';
import type { ProvisionUserResult } from '../../../src/workflows/provision-user';
import type { RunSummary } from '../../../src/workflows/resource-run';
import { runTallyCli } from '../../support/tally-cli';
import { writeConfigDir } from '../../support/config-dir';
import { eventually, listenApi, startTally, type TallyHarness } from '../../support/tally-harness';

const TOKEN = 'safety-test-token';
const resourceOid = randomUUID();
let tally: TallyHarness;
let ldap: LdapClient;
let api: FastifyInstance;
let apiUrl: string;
let base: string;
const dn = (uid: string) => `uid=${uid},${base}`;

function resourceYaml(): string {
  return `${resourceHead({ oid: resourceOid, name: 'Safety LDAP', ldap: tally.stack.ldap }, base)}
schemaHandling:
  objectType:
    - name: Default Account
      default: true
      objectClass: inetOrgPerson
      protected:
        - name: "UID=admin, ${base}"
        - filter: { equal: { path: attributes/ri:description, value: system account } }
      attribute:
        - ref: icfs:name
          matchingRule: distinguishedName
          outbound: { source: [{ path: $user/c:name }], expression: { script: { code: "'uid=' + name + ',${base}'" } } }
        - ref: ri:uid
          matchingRule: mr:stringIgnoreCase
          outbound: { strength: strong, source: [{ path: $user/c:name }] }
          inbound: { strength: weak, target: { path: $user/c:name } }
        - ref: ri:cn
          matchingRule: stringIgnoreCase
          outbound: { source: [{ path: $c:user/c:fullName }] }
          inbound: { target: { path: $user/fullName } }
        - ref: ri:sn
          outbound: { source: [{ path: $user/familyName }] }
          inbound: { target: { path: $user/familyName } }
        - ref: ri:title
          outbound: { source: [{ path: $c:user/c:title }] }
          inbound: { target: { path: $user/c:title } }
        - ref: ri:telephoneNumber
          outbound: { source: [{ path: telephoneNumber }] }
          inbound: { target: { path: c:telephoneNumber } }
synchronization:
  correlation:
    equal: { path: $user/c:name, expression: { path: $account/attributes/ri:uid } }
${addFocusLinkSynchronizeUnlinkReactions}`;
}

async function addPerson(uid: string, attributes: Record<string, string>): Promise<void> {
  await ldap.add(dn(uid), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid, sn: uid, cn: uid, ...attributes });
}

async function entry(filter: string): Promise<Record<string, unknown> | undefined> {
  const { searchEntries } = await ldap.search(base, { filter, attributes: ['uid', 'cn', 'sn', 'title', 'telephoneNumber', 'description', 'modifyTimestamp', 'modifiersName'] });
  return searchEntries[0] as Record<string, unknown> | undefined;
}

async function run(type: 'import' | 'recon'): Promise<RunSummary> {
  const started = await startResourceRun(tally.services, { type, resource: resourceOid });
  return waitForRun(tally.services, started.workflowId, () => undefined, 200);
}

/** The shadow of the entry there is (not one of a refused add, which shares its name). */
const shadowNamed = async (uid: string): Promise<ShadowDoc | undefined> =>
  (await tally.services.repo.shadows.find({ resourceRef: resourceOid })).find((s) => s.exists && s.secondaryIdentifier?.toLowerCase() === dn(uid).toLowerCase());

beforeAll(async () => {
  tally = await startTally('safety');
  base = `ou=safety-${tally.settings.TALLY_TASK_QUEUE.slice(-8)},dc=example,dc=com`;
  ldap = new LdapClient({ url: tally.stack.ldap.url });
  await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou: base.split(',')[0]!.slice(3) });
  await addPerson('JACK', { cn: 'JACK SPARROW', sn: 'Sparrow', title: 'Captain', telephoneNumber: '+1 555 0100' });
  await addPerson('will', { cn: 'Will Turner', sn: 'Turner', title: 'Blacksmith', telephoneNumber: '+44 20 7946 0000' });
  await addPerson('admin', { cn: 'Directory Admin', description: 'keep out' });
  await addPerson('root', { cn: 'System Root', description: 'system account' });
  ({ api, url: apiUrl } = await listenApi(tally, TOKEN));
}, 120_000);

afterAll(async () => {
  await api?.close();
  await ldap?.unbind();
  await tally?.stop();
});

test('tally apply takes midPoint\'s prefixed paths, matching rules and protected accounts', async () => {
  const applied = await runTallyCli(tally.env, ['apply', '-f', writeConfigDir({ 'resource.yaml': resourceYaml(), 'jack.yaml': 'kind: User\nname: jack\nfullName: Jack Sparrow\nfamilyName: Sparrow\n' })]);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
  const stored = await tally.services.repo.config.resource(resourceOid);
  expect(stored!.schemaHandling.objectType[0]!.protected).toHaveLength(2);
  expect(stored!.schemaHandling.objectType[0]!.attribute.find((a) => a.ref === 'ri:uid')!.matchingRule).toBe('stringIgnoreCase');
}, 60_000);

test('import: JACK correlates to jack, protected entries are counted and left alone, title and telephoneNumber flow in', async () => {
  const summary = await run('import');
  expect(summary).toMatchObject({ phase: 'finished', seen: 4, errors: 0 });
  expect(summary.stats).toMatchObject({ protected: 2 });

  const jack = await tally.services.repo.users.byRef('jack');
  const jackShadow = await shadowNamed('JACK');
  expect(jackShadow).toMatchObject({ ownerRef: jack!.oid, situation: 'linked' });
  expect(jack).toMatchObject({ fullName: 'Jack Sparrow', title: 'Captain', telephoneNumber: '+1 555 0100' });
  expect(await tally.services.repo.users.byRef('JACK')).toBeNull();
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ fullName: 'Will Turner', title: 'Blacksmith', telephoneNumber: '+44 20 7946 0000' });

  for (const uid of ['admin', 'root']) {
    expect(await shadowNamed(uid)).toMatchObject({ protectedObject: true, ownerRef: null });
    expect(await tally.services.repo.users.byRef(uid)).toBeNull();
  }
  // JACK's entry is as it was: uid and cn differ from what Tally wants only in case.
  expect(await entry('(uid=JACK)')).toMatchObject({ dn: dn('JACK'), uid: 'JACK', cn: 'JACK SPARROW', title: 'Captain' });
}, 120_000);

test('reconciliation: an account differing only in case is unchanged, protected accounts are counted as protected', async () => {
  await run('recon'); // the first run may refresh what import cached
  const summary = await run('recon');
  expect(summary).toMatchObject({ phase: 'finished', seen: 4, unchanged: 2, synchronized: 0, errors: 0 });
  expect(summary.stats).toMatchObject({ protected: 2 });
  const jackEntry = await entry('(uid=JACK)');
  expect(jackEntry).toMatchObject({ dn: dn('JACK'), uid: 'JACK', cn: 'JACK SPARROW' });
  expect(await entry('(uid=admin)')).toMatchObject({ cn: 'Directory Admin', description: 'keep out' });
}, 120_000);

test('tally user set title and telephoneNumber: they flow out to the account ($c:user/c:title)', async () => {
  const set = await runTallyCli(tally.env, ['user', 'set', 'jack', 'title=First Mate', 'telephoneNumber=+1 555 0199', '--wait']);
  expect(set.code).toBe(0);
  await eventually(() => entry('(uid=JACK)'), (e) => e?.title === 'First Mate' && e.telephoneNumber === '+1 555 0199', "jack's title and telephoneNumber on LDAP");
  // The case-only differences are still not "corrected".
  expect(await entry('(uid=JACK)')).toMatchObject({ uid: 'JACK', cn: 'JACK SPARROW' });
}, 60_000);

test('PATCH /api/v1/users/{ref}: the multi-valued properties take one value or a list', async () => {
  const response = await fetch(`${apiUrl}/api/v1/users/will`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ organizationalUnit: ['Deck', 'Galley', 'Deck'], employeeType: 'crew', locality: 'Port Royal', employeeNumber: '7' }),
  });
  expect(response.status).toBe(200);
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ organizationalUnit: ['Deck', 'Galley'], employeeType: ['crew'], locality: 'Port Royal', employeeNumber: '7' });
  const cleared = await fetch(`${apiUrl}/api/v1/users/will`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ organizationalUnit: [] }),
  });
  expect(cleared.status).toBe(200);
  expect((await tally.services.repo.users.byRef('will'))!.organizationalUnit).toBeUndefined();
}, 60_000);

test('users whose account names collide with protected accounts: refused with ProtectedAccount, the entries untouched', async () => {
  const construction = `assignment:\n  - construction: { resourceRef: ${resourceOid} }\n`;
  const applied = await runTallyCli(tally.env, [
    'apply',
    '-f',
    writeConfigDir({
      'admin.yaml': `kind: User\nname: admin\nfullName: Not The Admin\nfamilyName: Impostor\n${construction}`,
      'root.yaml': `kind: User\nname: root\nfullName: Not Root\nfamilyName: Impostor\n${construction}`,
      'anne.yaml': `kind: User\nname: anne\nfullName: Anne Bonny\nfamilyName: Bonny\ntitle: Quartermaster\n${construction}`,
    }),
  ]);
  expect(applied.code).toBe(0);
  const outcome = async (name: string) => {
    const user = await tally.services.repo.users.byRef(name);
    return (await tally.services.client.workflow.getHandle(`user:${user!.oid}`).result()) as ProvisionUserResult;
  };
  // By name: refused before the directory is asked. By filter: the add found the name taken by a protected entry.
  expect((await outcome('admin')).accounts).toEqual([expect.stringMatching(/add failed: add of uid=admin,.* refused: it is a protected account of Safety LDAP \(name UID=admin/)]);
  expect((await outcome('root')).accounts).toEqual([expect.stringMatching(/discovery after add \(already-exists\): add of uid=root,.* refused: .*protected account .*\(description = system account\)/)]);
  // A user path with midPoint's prefix names the new account: $user/c:name.
  expect((await outcome('anne')).accounts).toEqual([expect.stringMatching(/: done \(add done\)$/)]);
  expect(await entry('(uid=anne)')).toMatchObject({ dn: dn('anne'), uid: 'anne', cn: 'Anne Bonny', title: 'Quartermaster' });

  expect(await entry('(uid=admin)')).toMatchObject({ cn: 'Directory Admin', sn: 'admin', description: 'keep out' });
  expect(await entry('(uid=root)')).toMatchObject({ cn: 'System Root', sn: 'root', description: 'system account' });
  for (const uid of ['admin', 'root']) {
    const user = await tally.services.repo.users.byRef(uid);
    const own = (await tally.services.repo.shadows.ofOwner(user!.oid))[0]!;
    expect(own).toMatchObject({ exists: false, pendingOperations: [], lastFailedOperation: { type: 'add', result: { status: 'fatal-error', errorKind: 'ProtectedAccount' } } });
    expect(await shadowNamed(uid)).toMatchObject({ protectedObject: true, ownerRef: null });
  }
}, 120_000);

test('a reported change of a protected account (tally change): nothing is correlated or done, the outcome says protected', async () => {
  await ldap.modify(dn('admin'), [new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: ['Directory Admin 2'] }) })]);
  const changed = await runTallyCli(tally.env, ['change', 'Safety LDAP', dn('admin'), '--wait', '--json']);
  expect(changed.code).toBe(0);
  const { outcome } = JSON.parse(changed.stdout) as { outcome: Array<{ situation: string; ownerOid: string | null; actions: string[]; accounts: string[] }> };
  expect(outcome).toEqual([expect.objectContaining({ situation: 'protected', ownerOid: null, actions: [], accounts: [] })]);
  expect(await shadowNamed('admin')).toMatchObject({ protectedObject: true, ownerRef: null, attributes: expect.objectContaining({ cn: ['Directory Admin 2'] }) });
  expect(await entry('(uid=admin)')).toMatchObject({ cn: 'Directory Admin 2', description: 'keep out' });
}, 60_000);

test('shown as protected: tally shadows and GET /api/v1/shadows', async () => {
  const listed = await runTallyCli(tally.env, ['shadows', '--resource', 'Safety LDAP']);
  expect(listed.code).toBe(0);
  const lines = listed.stdout.split('\n');
  expect(lines.filter((l) => l.includes('PROTECTED')).map((l) => l.split(/\s+/)[0]!.toLowerCase()).sort()).toEqual([dn('admin'), dn('root')].map((d) => d.toLowerCase()).sort());
  expect(lines.find((l) => l.toLowerCase().startsWith(dn('jack').toLowerCase()))).not.toContain('PROTECTED');

  const response = await fetch(`${apiUrl}/api/v1/shadows?resource=${resourceOid}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  const shadows = (await response.json()) as ShadowDoc[];
  expect(shadows.filter((s) => s.protectedObject).map((s) => s.secondaryIdentifier!.toLowerCase()).sort()).toEqual([dn('admin'), dn('root')].map((d) => d.toLowerCase()).sort());
}, 60_000);
