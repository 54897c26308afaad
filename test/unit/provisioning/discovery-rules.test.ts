import { deltasToReach, isAccountRequired } from '../../../src/provisioning/discovery-rules';
import { resourceSchema, roleSchema } from '../../../src/schema/config';

describe('deltasToReach', () => {
  test('replaces only attributes whose values differ, ignoring value order and attribute name case', () => {
    const wanted = { cn: ['Jack Sparrow'], givenName: ['Jack'], mail: ['a@x', 'b@x'], objectClass: ['inetOrgPerson'] };
    const current = { CN: ['Old Jack'], givenname: ['Jack'], mail: ['b@x', 'a@x'], objectClass: ['top', 'inetOrgPerson'], sn: ['Sparrow'] };
    expect(deltasToReach(wanted, current)).toEqual([{ path: 'cn', replace: ['Jack Sparrow'] }]);
  });

  test('an attribute the account lacks is set', () => {
    expect(deltasToReach({ title: ['Pirate'] }, {})).toEqual([{ path: 'title', replace: ['Pirate'] }]);
  });
});

describe('isAccountRequired', () => {
  const resource = { ...(resourceSchema.parse({ kind: 'Resource', oid: 'r1', name: 'LDAP', connector: { type: 'ldap', url: 'ldap://x', bindDn: 'cn=a', bindPassword: { env: 'X' }, baseContext: 'dc=x' }, schemaHandling: { objectType: [{ objectClass: 'inetOrgPerson', default: true }] } })) };
  const role = roleSchema.parse({ kind: 'Role', name: 'Pirate', inducement: [{ construction: { resourceRef: 'LDAP' } }] });
  const shadow = { resourceRef: 'r1', kind: 'account' as const, intent: 'default' };
  const context = { roles: [role], resources: [resource] };

  test('a direct account construction requires it', () => {
    expect(isAccountRequired({ assignment: [{ accountConstruction: { resourceRef: 'r1', kind: 'account', intent: 'default', attribute: [] } }] }, shadow, context)).toBe(true);
  });

  test('a role inducing the construction (resource named by name) requires it', () => {
    expect(isAccountRequired({ assignment: [{ targetRef: 'Pirate' }] }, shadow, context)).toBe(true);
  });

  test('no assignment, or one for another intent, does not', () => {
    expect(isAccountRequired({ assignment: [] }, shadow, context)).toBe(false);
    expect(isAccountRequired({ assignment: [{ accountConstruction: { resourceRef: 'r1', kind: 'account', intent: 'admin', attribute: [] } }] }, shadow, context)).toBe(false);
  });
});
