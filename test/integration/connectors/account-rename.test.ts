/**
 * A user renamed where the account's name (icfs:name) comes from a normal outbound mapping: his accounts
 * are renamed in place on both resources (the LDAP entry moved by modifyDN, the PostgreSQL row keeping
 * its id), and their shadows take the new names. With a weak mapping (the examples' own), the names stay.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exampleResources } from '../../support/example-resources';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
const PINTEL_OID = 'c0c010c0-d34d-b33f-f00d-444000000001';

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;
let config: string;
let people: string;

const userFile = (name: string) => `kind: User
oid: ${PINTEL_OID}
name: ${name}
fullName: Pintel
givenName: Pintel
familyName: Pintel
assignment:
  - accountConstruction: { resourceRef: ${LDAP_OID} }
  - accountConstruction: { resourceRef: ${AD_OID} }
`;

/** Writes the user's file into the configuration and applies it, waiting for his recompute. */
async function applyUser(name: string): Promise<void> {
  writeFileSync(path.join(config, 'users', 'pintel.yaml'), userFile(name));
  await applyAndProvision(tally.services, [path.join(config, 'users', 'pintel.yaml')]);
}

const ldapUids = async () => (await resources.ldap.search(people, { scope: 'one', filter: '(uid=pintel*)', attributes: ['uid'] })).searchEntries.map((e) => e.dn.toLowerCase());
const pgRows = async () => (await resources.pg.query(`SELECT id, name, login FROM ${resources.table} WHERE login LIKE 'pintel%'`)).rows as Array<{ id: string; name: string; login: string }>;

beforeAll(async () => {
  tally = await startTally('rename');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  people = resources.base;
  config = resources.examples;
  rmSync(path.join(config, 'users', 'jack.yaml'));
  await applyAndProvision(tally.services, [config]);
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('with the weak name mappings of the examples, a renamed user keeps his accounts\' names', async () => {
  await applyUser('pintel');
  expect(await ldapUids()).toEqual([`uid=pintel,${people}`]);
  const [row] = await pgRows();
  expect(row).toMatchObject({ name: 'cn=pintel,o=Acme', login: 'pintel' });

  await applyUser('pintel2');
  // login and uid follow the name (normal mappings); the names (weak) stay. The LDAP entry's naming
  // attribute is uid, so the directory entry is renamed through it.
  expect(await pgRows()).toEqual([{ id: row.id, name: 'cn=pintel,o=Acme', login: 'pintel2' }]);
});

test('with normal name mappings, a renamed user\'s accounts are renamed in place and their shadows follow', async () => {
  for (const file of ['ldap.yaml', 'hr-postgres.yaml']) {
    const yaml = path.join(config, 'resources', file);
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/(- ref: icfs:name\n(?:\s+displayName: .*\n)?\s+outbound:\n\s+strength: )weak/, '$1normal'));
    expect(readFileSync(yaml, 'utf8')).toMatch(/ref: icfs:name\n(?:.*\n)?\s+outbound:\n\s+strength: normal/);
  }
  await applyAndProvision(tally.services, [path.join(config, 'resources')]);
  const [before] = await pgRows();

  await applyUser('pintel3');
  expect(await pgRows()).toEqual([{ id: before.id, name: 'cn=pintel3,o=Acme', login: 'pintel3' }]);
  expect(await ldapUids()).toEqual([`uid=pintel3,${people}`]);
  const shadows = await eventually(() => tally.services.repo.shadows.ofOwner(PINTEL_OID), (s) => s.length === 2 && s.every((x) => x.pendingOperations.length === 0), "pintel's two shadows settled");
  expect(shadows.map((s) => s.secondaryIdentifier?.toLowerCase()).sort()).toEqual(['cn=pintel3,o=acme', `uid=pintel3,${people}`].sort());
});
