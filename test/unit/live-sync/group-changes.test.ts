/**
 * Accesslog records of groups as changes of their members' accounts (the `ri:group` association,
 * groupOfNames under their own base context), and pages that never end inside a record.
 */
import { pageOfChanges, recordsToChanges, routeToType, type ChangelogMapping } from '../../../src/connectors/ldap/ldap-changelog';
import { delineationFilter } from '../../../src/connectors/ldap/ldap-delineation';
import type { ConnectorChange } from '../../../src/connectors/connector-types';
import { asResourceChange, coalesce } from '../../../src/sync/live-sync/changelog-poll';

const PEOPLE = 'ou=people,dc=example,dc=com';
const PIRATES = 'cn=pirates,ou=groups,dc=example,dc=com';
const person = (uid: string) => `uid=${uid},${PEOPLE}`;
const csn = (n: string) => `20261201000000.0000${n}Z#000000#000#000000`;

const mapping: ChangelogMapping = {
  baseContext: PEOPLE,
  entryUuidIsPrimary: true,
  ignoreModifiers: ['cn=tally,dc=example,dc=com'],
  entitlements: [{ baseContext: 'ou=groups,dc=example,dc=com', memberAttribute: 'member', association: 'association/group' }],
};

const groupRecord = (n: string, reqMod: string[], extra: Record<string, unknown> = {}) => ({
  dn: `reqStart=${n},cn=accesslog`,
  entryCSN: csn(n),
  reqType: 'modify',
  reqDN: PIRATES,
  reqEntryUUID: 'uuid-pirates',
  reqMod,
  reqAuthzID: 'dn:cn=admin,dc=example,dc=com',
  ...extra,
});

test('a group modify with two member adds and one delete is a modify of each of the three accounts', () => {
  const changes = recordsToChanges([groupRecord('01', [`member:+ ${person('will')}`, `member:+ ${person('gibbs')}`, `member:- ${person('jack')}`])], mapping);
  expect(changes).toEqual([
    { changeType: 'modify', secondaryIdentifier: person('will'), attributeDeltas: [{ path: 'association/group', add: [PIRATES] }], token: csn('01') },
    { changeType: 'modify', secondaryIdentifier: person('gibbs'), attributeDeltas: [{ path: 'association/group', add: [PIRATES] }], token: csn('01') },
    { changeType: 'modify', secondaryIdentifier: person('jack'), attributeDeltas: [{ path: 'association/group', delete: [PIRATES] }], token: csn('01') },
  ]);
  // Named by the group's members, not by the group: its entryUUID is no account's.
  expect(changes.every((c) => c.primaryIdentifier === undefined)).toBe(true);
});

test('member values outside the account base context are dropped: the placeholder, other containers, the base itself', () => {
  const changes = recordsToChanges(
    [groupRecord('01', ['member:+ cn=nobody', `member:- ${person('jack')}`, 'member:+ uid=jack,ou=other,dc=example,dc=com', `member:+ ${PEOPLE}`, 'member:+ not a dn'])],
    mapping,
  );
  expect(changes.map((c) => c.secondaryIdentifier)).toEqual([person('jack')]);
});

test("non-member attributes of a group, groups outside the entitlements' base and Tally's own writes change nothing", () => {
  expect(recordsToChanges([groupRecord('01', ['description:= The crew', 'businessCategory:+ sea'])], mapping)).toEqual([]);
  expect(recordsToChanges([groupRecord('02', [`member:+ ${person('will')}`], { reqDN: 'cn=pirates,ou=elsewhere,dc=example,dc=com' })], mapping)).toEqual([]);
  expect(recordsToChanges([groupRecord('03', [`member:+ ${person('will')}`], { reqAuthzID: 'dn:cn=tally,dc=example,dc=com' })], mapping)).toEqual([]);
  expect(recordsToChanges([groupRecord('04', [`member:+ ${person('will')}`])], { ...mapping, entitlements: [] })).toEqual([]);
});

test("a new group's members and a replaced member list are memberships added; an account's own record still is its change", () => {
  const changes = recordsToChanges(
    [
      groupRecord('01', ['objectClass:+ groupOfNames', 'cn:+ pirates', `member:+ ${person('will')}`], { reqType: 'add' }),
      groupRecord('02', [`member:= ${person('jack')}`, `member:= ${person('gibbs')}`]),
      { dn: 'reqStart=03,cn=accesslog', entryCSN: csn('03'), reqType: 'modify', reqDN: person('jack'), reqEntryUUID: 'uuid-jack', reqMod: ['cn:= Jack'], reqAuthzID: 'dn:cn=admin,dc=example,dc=com' },
    ],
    mapping,
  );
  expect(changes.map((c) => [c.secondaryIdentifier, c.primaryIdentifier, c.attributeDeltas])).toEqual([
    [person('will'), undefined, [{ path: 'association/group', add: [PIRATES] }]],
    [person('jack'), undefined, [{ path: 'association/group', add: [PIRATES] }]],
    [person('gibbs'), undefined, [{ path: 'association/group', add: [PIRATES] }]],
    [person('jack'), 'uuid-jack', [{ path: 'cn', replace: ['Jack'] }]],
  ]);
});

test("a page never ends inside a record: the changes sharing the last one's position come with it", () => {
  const change = (n: string, uid: string): ConnectorChange => ({ changeType: 'modify', secondaryIdentifier: person(uid), token: csn(n) });
  const all = [change('01', 'a'), change('02', 'b'), change('02', 'c'), change('02', 'd'), change('03', 'e')];
  expect(pageOfChanges(all, 2).map((c) => c.secondaryIdentifier)).toEqual([person('a'), person('b'), person('c'), person('d')]);
  expect(pageOfChanges(all, 1).map((c) => c.token)).toEqual([csn('01')]);
  expect(pageOfChanges(all, 4)).toHaveLength(4);
  expect(pageOfChanges(all, 10)).toHaveLength(5);
  expect(pageOfChanges([change('02', 'b'), change('02', 'c')], 1)).toHaveLength(2);
  expect(pageOfChanges([], 1)).toEqual([]);
});

test("a membership change joins the account's own changes in the page (one object, one synchronization)", () => {
  const groups = coalesce([
    { changeType: 'modify', primaryIdentifier: 'uuid-jack', secondaryIdentifier: person('jack'), attributeDeltas: [{ path: 'cn', replace: ['Jack'] }], token: csn('01') },
    { changeType: 'modify', secondaryIdentifier: person('JACK'), attributeDeltas: [{ path: 'association/group', delete: [PIRATES] }], token: csn('02') },
    { changeType: 'modify', secondaryIdentifier: person('will'), attributeDeltas: [{ path: 'association/group', add: [PIRATES] }], token: csn('02') },
  ]);
  expect(groups.map((g) => g.map((c) => c.secondaryIdentifier))).toEqual([[person('jack'), person('JACK')], [person('will')]]);
  expect(asResourceChange('r', groups[0])).toMatchObject({
    primaryIdentifier: 'uuid-jack',
    attributeDeltas: [
      { path: 'cn', replace: ['Jack'] },
      { path: 'association/group', delete: [PIRATES] },
    ],
  });
});

test("under a base accounts and groups share, a group's own change is routed away from the accounts; its members', a gone entry's and other entries' stay", async () => {
  const suffix = 'dc=example,dc=com';
  const groups = [{ base: suffix, filter: '(objectClass=groupOfNames)' }];
  const changes = recordsToChanges(
    [
      groupRecord('01', ['description:= The crew', `member:+ ${person('will')}`]),
      { dn: 'reqStart=02,cn=accesslog', entryCSN: csn('02'), reqType: 'delete', reqDN: person('gone'), reqEntryUUID: 'uuid-gone', reqMod: [], reqAuthzID: 'dn:cn=admin,dc=example,dc=com' },
    ],
    { ...mapping, baseContext: suffix, entitlements: [{ baseContext: suffix, memberAttribute: 'member', association: 'association/group' }] },
  );
  expect(changes.map((c) => c.secondaryIdentifier)).toEqual([PIRATES, person('will'), person('gone')]);
  const asked: string[] = [];
  const kinds: Record<string, boolean | undefined> = { [PIRATES]: false, [person('will')]: true, [person('gone')]: undefined };
  const routed = await routeToType(changes, groups, async (dn) => (asked.push(dn), kinds[dn]));
  expect(routed.map((c) => c.secondaryIdentifier)).toEqual([person('will'), person('gone')]);
  expect(asked).toEqual([PIRATES, person('will'), person('gone')]);
  // Separate bases: nothing is asked, nothing routed away.
  expect(await routeToType(changes, [], () => Promise.reject(new Error('not asked')))).toEqual(changes);
});

test("an object type's filter is its object class and its search filter", () => {
  expect(delineationFilter('inetOrgPerson', undefined)).toBe('(objectClass=inetOrgPerson)');
  expect(delineationFilter('inetOrgPerson', '(objectclass=inetOrgPerson)')).toBe('(objectClass=inetOrgPerson)');
  expect(delineationFilter('ri:inetOrgPerson', '(employeeType=crew)')).toBe('(&(objectClass=inetOrgPerson)(employeeType=crew))');
  expect(delineationFilter(undefined, '(uid=*)')).toBe('(uid=*)');
});
