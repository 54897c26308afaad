/**
 * The LDAP connector with a resource's object types, on the shared test directory: accounts are read
 * with the account type's delineation, and each account carries its memberships as `association/<name>`,
 * read from and written to the groups (posixGroup memberUid by uid; groupOfNames member by DN).
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { createConnector } from '../../../src/connectors';
import { ConnectorError } from '../../../src/connectors/connector-errors';
import type { Connector } from '../../../src/connectors/connector-types';
import { ldapConnectorSchema, objectTypeSchema } from '../../../src/schema/config';
import { getStack } from '../../support/stack';
import { withLdapAdmin } from '../../support/ldap-admin';

const stack = getStack();
const suffix = randomBytes(4).toString('hex');
const people = `ou=people-${suffix},dc=example,dc=com`;
const groups = `ou=groups-${suffix},dc=example,dc=com`;
const posixCrew = `cn=crew,${groups}`;
const officers = `cn=officers,${groups}`;
process.env.TALLY_TEST_GROUPS_LDAP_PASSWORD = stack.ldap.bindPassword;

let connector: Connector;

const admin = <T>(fn: (c: LdapClient) => Promise<T>) => withLdapAdmin(stack, fn);

const valuesOf = async (dn: string, attribute: string): Promise<string[]> => {
  const entry = (await admin((c) => c.search(dn, { scope: 'base', attributes: [attribute] }))).searchEntries[0];
  const v = entry?.[attribute] ?? [];
  return (Array.isArray(v) ? v : [v]).map(String).sort();
};

const person = (uid: string) => ({ objectClass: ['inetOrgPerson'], uid: [uid], cn: [uid], sn: [uid] });

beforeAll(async () => {
  await admin(async (c) => {
    await c.add(people, { objectClass: 'organizationalUnit', ou: `people-${suffix}` });
    await c.add(groups, { objectClass: 'organizationalUnit', ou: `groups-${suffix}` });
    await c.add(posixCrew, { objectClass: 'posixGroup', cn: 'crew', gidNumber: '5000' });
    await c.add(officers, { objectClass: 'groupOfNames', cn: 'officers', member: 'cn=nobody' });
  });
  const objectTypes = [
    objectTypeSchema.parse({
      kind: 'account',
      default: true,
      objectClass: 'inetOrgPerson',
      baseContext: people,
      objectClasses: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      association: [
        { ref: 'ri:crew', intent: 'posix', associationAttribute: 'memberUid', valueAttribute: 'uid' },
        { ref: 'ri:officers', intent: 'names', associationAttribute: 'member' },
      ],
    }),
    objectTypeSchema.parse({ kind: 'entitlement', intent: 'posix', objectClass: 'posixGroup', baseContext: groups }),
    objectTypeSchema.parse({ kind: 'entitlement', intent: 'names', objectClass: 'groupOfNames', baseContext: groups }),
  ];
  const config = ldapConnectorSchema.parse({
    type: 'ldap',
    url: stack.ldap.url,
    bindDn: stack.ldap.bindDn,
    bindPassword: { env: 'TALLY_TEST_GROUPS_LDAP_PASSWORD' },
    baseContext: 'dc=example,dc=com',
  });
  connector = createConnector(config, objectTypes);
});

afterAll(async () => {
  await connector?.close();
});

test('create gives memberships by uid (memberUid) and by DN (member); get and search read them back', async () => {
  const sam = await connector.create(`uid=sam,${people}`, { ...person('sam'), 'association/crew': [posixCrew], 'association/officers': [officers] });
  await connector.create(`uid=tom,${people}`, { ...person('tom'), 'association/crew': [posixCrew] });
  expect(await valuesOf(posixCrew, 'memberUid')).toEqual(['sam', 'tom']);
  // Without a placeholderValue on the association, the group's other members (cn=nobody) are not Tally's to remove.
  expect(await valuesOf(officers, 'member')).toEqual(['cn=nobody', `uid=sam,${people}`]);
  expect(sam.attributes).toMatchObject({ 'association/crew': [posixCrew], 'association/officers': [officers] });

  const { objects } = await connector.search({ pageSize: 10 });
  // Only the account type's container is searched: the groups are not accounts.
  expect(objects.map((o) => o.secondaryIdentifier).sort()).toEqual([`uid=sam,${people}`, `uid=tom,${people}`]);
  const tom = objects.find((o) => o.secondaryIdentifier.startsWith('uid=tom'))!;
  expect(tom.attributes['association/crew']).toEqual([posixCrew]);
  expect(tom.attributes['association/officers']).toBeUndefined();
  expect((await connector.get({ primaryIdentifier: sam.primaryIdentifier })).attributes['association/officers']).toEqual([officers]);
});

test("modify adds and removes one membership; without a placeholderValue a groupOfNames' last member is refused to leave", async () => {
  const tom = await connector.get({ secondaryIdentifier: `uid=tom,${people}` });
  await connector.modify(tom.primaryIdentifier, [{ path: 'association/officers', add: [officers] }]);
  expect(await valuesOf(officers, 'member')).toEqual(['cn=nobody', `uid=sam,${people}`, `uid=tom,${people}`]);
  await connector.modify(tom.primaryIdentifier, [{ path: 'association/crew', delete: [posixCrew] }, { path: 'association/officers', delete: [officers] }]);
  expect(await valuesOf(posixCrew, 'memberUid')).toEqual(['sam']);
  expect(await valuesOf(officers, 'member')).toEqual(['cn=nobody', `uid=sam,${people}`]);

  // No placeholderValue on this association: once sam is officers' last member, he must stay.
  await admin((c) => c.modify(officers, [new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: ['cn=nobody'] }) })]));
  const sam = await connector.get({ secondaryIdentifier: `uid=sam,${people}` });
  const refused = await connector.modify(sam.primaryIdentifier, [{ path: 'association/officers', delete: [officers] }]).then(
    () => null,
    (e: unknown) => e,
  );
  expect(refused).toBeInstanceOf(ConnectorError);
  expect(`${(refused as ConnectorError).kind}: ${(refused as ConnectorError).message}`).toMatch(/^schema-violation: .*last member.*placeholderValue/);
  expect(await valuesOf(officers, 'member')).toEqual([`uid=sam,${people}`]);
});

test('deleting an account takes it out of its groups first', async () => {
  const tom = await connector.get({ secondaryIdentifier: `uid=tom,${people}` });
  await connector.modify(tom.primaryIdentifier, [{ path: 'association/crew', add: [posixCrew] }]);
  await connector.delete(tom.primaryIdentifier);
  expect(await valuesOf(posixCrew, 'memberUid')).toEqual(['sam']);
});
