import { endsWithMatching, protectionOf } from '../../../src/model/protected-accounts';
import { objectTypeSchema, type ProtectionFilter } from '../../../src/schema/config';

const typeWith = (...filters: ProtectionFilter[]) =>
  objectTypeSchema.parse({
    objectClass: 'inetOrgPerson',
    attribute: [{ ref: 'ri:description', matchingRule: 'stringIgnoreCase' }],
    protected: filters.map((filter) => ({ filter })),
  });
const account = (dn: string, attributes: Record<string, string[]> = {}) => ({ secondaryIdentifier: dn, primaryIdentifier: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', attributes });

describe('protected filters', () => {
  it('equal on the name (icfs:name, midPoint\'s ri:dn) compares distinguished names', () => {
    const type = typeWith({ equal: { path: '$account/attributes/icfs:name', value: 'uid=idm,ou=Administrators,dc=example,dc=com' } });
    expect(protectionOf(type, account('UID=idm, ou=administrators,dc=example,dc=com'))).toBe('icfs:name = uid=idm,ou=Administrators,dc=example,dc=com');
    expect(protectionOf(type, account('uid=idm,ou=people,dc=example,dc=com'))).toBeNull();
  });

  it('equal on the primary identifier (icfs:uid)', () => {
    const type = typeWith({ equal: { path: 'icfs:uid', value: 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6', matchingRule: 'uuid' } });
    expect(protectionOf(type, account('uid=x,dc=example,dc=com'))).not.toBeNull();
  });

  it('endsWith a DN: the entries of that subtree, compared as distinguished names', () => {
    const type = typeWith({ endsWith: { path: 'attributes/icfs:name', value: 'OU=Services, dc=example,dc=com' } });
    expect(protectionOf(type, account('uid=svc-backup,ou=services,dc=example,dc=com'))).toBe('icfs:name under OU=Services, dc=example,dc=com');
    expect(protectionOf(type, account('uid=a,ou=batch,ou=Services,dc=example,dc=com'))).not.toBeNull();
    expect(protectionOf(type, account('uid=jack,ou=people,dc=example,dc=com'))).toBeNull();
    expect(protectionOf(type, account('uid=x,ou=myservices,dc=example,dc=com'))).toBeNull();
  });

  it('endsWith a DN matches whole RDNs only', () => {
    expect(endsWithMatching('distinguishedName', 'ou=services,dc=example,dc=com', 'ou=services,dc=example,dc=com')).toBe(true);
    expect(endsWithMatching('distinguishedName', 'uid=a,xou=services,dc=example,dc=com', 'ou=services,dc=example,dc=com')).toBe(false);
    expect(endsWithMatching('distinguishedName', 'uid=a\\,ou=services,dc=example,dc=com', 'ou=services,dc=example,dc=com')).toBe(false);
    expect(endsWithMatching('distinguishedName', 'dc=com', 'ou=services,dc=example,dc=com')).toBe(false);
  });

  it('endsWith a string, under the attribute\'s matching rule or the filter\'s', () => {
    expect(protectionOf(typeWith({ endsWith: { path: 'ri:description', value: 'ACCOUNT' } }), account('uid=a,dc=x', { description: ['system account'] }))).toBe('description ends with ACCOUNT');
    expect(protectionOf(typeWith({ endsWith: { path: 'ri:mail', value: '@SERVICES.example.com' } }), account('uid=a,dc=x', { mail: ['a@services.example.com'] }))).toBeNull();
    expect(
      protectionOf(typeWith({ endsWith: { path: 'ri:mail', value: '@SERVICES.example.com', matchingRule: 'stringIgnoreCase' } }), account('uid=a,dc=x', { mail: ['a@services.example.com'] })),
    ).not.toBeNull();
  });

  it('the filter\'s matchingRule replaces the attribute\'s', () => {
    const exact = typeWith({ equal: { path: 'ri:employeeType', value: 'Robot' } });
    const caseless = typeWith({ equal: { path: 'ri:employeeType', value: 'Robot', matchingRule: 'stringIgnoreCase' } });
    expect(protectionOf(exact, account('uid=r,dc=x', { employeeType: ['robot'] }))).toBeNull();
    expect(protectionOf(caseless, account('uid=r,dc=x', { employeeType: ['robot'] }))).toBe('employeeType = Robot');
  });

  it('or: any of them; and: all of them', () => {
    const or = typeWith({ or: [{ equal: { path: 'ri:employeeType', value: 'robot' } }, { equal: { path: 'ri:description', value: 'break glass' } }] });
    expect(protectionOf(or, account('uid=r,dc=x', { employeeType: ['robot'] }))).toBe('employeeType = robot');
    expect(protectionOf(or, account('uid=g,dc=x', { description: ['BREAK GLASS'] }))).toBe('description = break glass');
    expect(protectionOf(or, account('uid=j,dc=x', { description: ['pirate'] }))).toBeNull();
    const and = typeWith({ and: [{ endsWith: { path: 'icfs:name', value: 'ou=services,dc=x' } }, { equal: { path: 'ri:employeeType', value: 'robot' } }] });
    expect(protectionOf(and, account('uid=r,ou=services,dc=x', { employeeType: ['robot'] }))).toBe('icfs:name under ou=services,dc=x and employeeType = robot');
    expect(protectionOf(and, account('uid=r,ou=people,dc=x', { employeeType: ['robot'] }))).toBeNull();
    expect(protectionOf(and, account('uid=h,ou=services,dc=x', { employeeType: ['human'] }))).toBeNull();
  });
});
