/**
 * Associations in the projector (pure): a role's construction gives group memberships as the
 * `association/group` values of the account; a second role adds to an existing account; unassigning
 * one retracts only what it alone gave.
 */
import { project } from '../../../src/model/projector';
import { resourceSchema, roleSchema, type Assignment } from '../../../src/schema/config';
import { account, jack, jackLdapShadow, LDAP_OID, ldapResource } from './fixtures';

const CREW = 'cn=crew,ou=groups,dc=example,dc=com';
const OFFICERS = 'cn=officers,ou=groups,dc=example,dc=com';

const withGroups = resourceSchema.parse({
  ...ldapResource,
  schemaHandling: {
    objectType: [
      {
        ...ldapResource.schemaHandling.objectType[0],
        association: { ref: 'ri:group', intent: 'group', associationAttribute: 'member', valueAttribute: 'dn' },
      },
      { kind: 'entitlement', intent: 'group', objectClass: 'groupOfNames', baseContext: 'ou=groups,dc=example,dc=com' },
    ],
  },
});

const groupRole = (name: string, group: string) =>
  roleSchema.parse({ kind: 'Role', name, inducement: { construction: { resourceRef: LDAP_OID, association: { ref: 'group', targets: [group] } } } });
const roles = [groupRole('Sailor', CREW), groupRole('Officer', OFFICERS)];
const assigned = (...names: string[]): Assignment[] => names.map((targetRef) => ({ targetRef }));
const jackAccount = (groups: string[]) =>
  account('uid=jack,ou=people,dc=example,dc=com', { uid: ['jack'], cn: ['Jack Sparrow'], givenName: ['Jack'], sn: ['Sparrow'], description: ['Created by IDM'], ...(groups.length ? { 'association/group': groups } : {}) }, jackLdapShadow.primaryIdentifier!);

describe('associations in the projector', () => {
  it('a new account carries the groups its roles give', () => {
    const projection = project({ user: jack({ assignment: assigned('Sailor', 'Officer'), linkRef: [] }), roles, resources: [withGroups], accounts: [] });
    expect(projection.accounts).toHaveLength(1);
    expect(projection.accounts[0]).toMatchObject({ action: 'add', attributes: { 'association/group': [CREW, OFFICERS] } });
  });

  it('an existing account gets a missing membership back (strong), and nothing when it has them all', () => {
    const user = jack({ assignment: assigned('Sailor', 'Officer') });
    const missing = project({ user, roles, resources: [withGroups], accounts: [{ shadow: jackLdapShadow, current: jackAccount([CREW]) }] });
    expect(missing.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'association/group', add: [OFFICERS] }] });
    const complete = project({ user, roles, resources: [withGroups], accounts: [{ shadow: jackLdapShadow, current: jackAccount([CREW, OFFICERS]) }] });
    expect(complete.accounts[0]).toMatchObject({ action: 'keep' });
  });

  it('a target spelled otherwise than the directory spells the group is the same group (DNs compared as DNs)', () => {
    const shouted = groupRole('Bosun', 'CN=Crew, OU=Groups, DC=Example, DC=Com');
    const projection = project({ user: jack({ assignment: assigned('Bosun') }), roles: [shouted], resources: [withGroups], accounts: [{ shadow: jackLdapShadow, current: jackAccount([CREW]) }] });
    expect(projection.accounts[0]).toMatchObject({ action: 'keep' });
  });

  it('unassigning a role retracts only the memberships it alone gave; memberships set by others stay', () => {
    const other = 'cn=others,ou=groups,dc=example,dc=com';
    const projection = project({
      user: jack({ assignment: assigned('Sailor') }),
      roles: [...roles, groupRole('Captain', CREW)],
      resources: [withGroups],
      accounts: [{ shadow: jackLdapShadow, current: jackAccount([CREW, OFFICERS, other]) }],
      removedAssignments: assigned('Officer', 'Captain'),
    });
    expect(projection.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'association/group', delete: [OFFICERS] }] });
  });
});
