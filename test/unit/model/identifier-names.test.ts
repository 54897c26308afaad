import { compileMapping } from '../../../src/model/mappings';
import { constructionWithIdentifierNames, identifierNames, identifierPath, identifierRef, withIdentifierNames } from '../../../src/model/identifier-names';
import { accountConstructionSchema, resourceSchema } from '../../../src/schema/config';

const ldap = identifierNames({ type: 'ldap', primaryIdentifier: 'entryUUID' } as never);
const ldapByNsUniqueId = identifierNames({ type: 'ldap', primaryIdentifier: 'nsUniqueId' } as never);
const table = identifierNames({ type: 'postgres', primaryIdentifier: 'id' } as never);

describe("midPoint's names of an LDAP resource's identifiers", () => {
  test.each([
    ['ri:dn', 'icfs:name'],
    ['dn', 'icfs:name'],
    ['DN', 'icfs:name'],
    ['ri:entryDN', 'icfs:name'],
    ['ri:entryUUID', 'icfs:uid'],
    ['entryuuid', 'icfs:uid'],
    ['icfs:name', 'icfs:name'],
    ['icfs:uid', 'icfs:uid'],
    ['ri:uid', 'ri:uid'],
    ['cn', 'cn'],
  ])('%s means %s', (ref, meaning) => expect(identifierRef(ref, ldap)).toBe(meaning));

  it('the primary identifier is the attribute the connector is configured with', () => {
    expect(identifierRef('ri:nsUniqueId', ldapByNsUniqueId)).toBe('icfs:uid');
    expect(identifierRef('ri:entryUUID', ldapByNsUniqueId)).toBe('ri:entryUUID');
    expect(identifierRef('ri:id', table)).toBe('icfs:uid');
    expect(identifierRef('dn', table)).toBe('dn');
  });

  it('account paths name the identifiers; user paths are left alone', () => {
    expect(identifierPath('$account/attributes/ri:dn', ldap, 'user')).toBe('$account/attributes/icfs:name');
    expect(identifierPath('attributes/ri:dn', ldap, 'account')).toBe('$account/attributes/icfs:name');
    expect(identifierPath('ri:entryUUID', ldap, 'user')).toBe('$account/attributes/icfs:uid');
    expect(identifierPath('$account/attributes/ri:uid', ldap, 'user')).toBe('$account/attributes/ri:uid');
    expect(identifierPath('$user/name', ldap, 'account')).toBe('$user/name');
    expect(identifierPath('$nobody/x', ldap, 'account')).toBe('$nobody/x');
  });

  it('a resource has them resolved in attribute definitions, inbound sources, protected filters and correlation', () => {
    const resource = withIdentifierNames(
      resourceSchema.parse({
        kind: 'Resource',
        name: 'R',
        connector: { type: 'ldap', url: 'ldap://x', bindDn: 'cn=a', bindPassword: { env: 'X' }, baseContext: 'dc=x' },
        schemaHandling: {
          objectType: [
            {
              default: true,
              objectClass: 'inetOrgPerson',
              attribute: [
                { ref: 'ri:dn', outbound: { source: { path: '$user/name' } } },
                { ref: 'ri:employeeNumber', inbound: { source: { path: '$account/attributes/ri:entryUUID' }, target: { path: 'employeeNumber' } } },
              ],
              protected: [{ filter: { or: [{ equal: { path: 'attributes/ri:dn', value: 'uid=idm,ou=Administrators,dc=x' } }, { endsWith: { path: 'ri:dn', value: 'ou=services,dc=x' } }] } }],
            },
          ],
        },
        synchronization: { correlation: { and: [{ equal: { path: 'name', expression: { path: '$account/attributes/ri:entryUUID' } } }] } },
      }),
    );
    const type = resource.schemaHandling.objectType[0]!;
    expect(type.attribute.map((a) => a.ref)).toEqual(['icfs:name', 'ri:employeeNumber']);
    expect(type.attribute[1]!.inbound[0]!.source).toEqual([{ path: '$account/attributes/icfs:uid', name: 'entryUUID' }]);
    expect(type.protected[0]!.filter).toEqual({
      or: [{ equal: { path: '$account/attributes/icfs:name', value: 'uid=idm,ou=Administrators,dc=x' } }, { endsWith: { path: '$account/attributes/icfs:name', value: 'ou=services,dc=x' } }],
    });
    expect(resource.synchronization[0]!.correlation).toEqual({ and: [{ equal: { path: 'name', expression: { path: '$account/attributes/icfs:uid' } } }] });
  });
});

describe("a role's or a user's construction with the identifiers' other names", () => {
  const construction = accountConstructionSchema.parse({
    resourceRef: 'R',
    attribute: [
      { ref: 'ri:dn', outbound: { source: [{ path: '$user/name' }], expression: { script: { code: "'cn=' + name + ',dc=x'" } } } },
      { ref: 'ri:entryUUID' },
      { ref: 'ri:description', outbound: { source: [{ path: '$account/attributes/ri:dn' }], expression: { script: { code: "'at ' + dn" } } } },
      { ref: 'ri:title', outbound: { expression: { value: 'Navigator' } } },
    ],
    association: [{ ref: 'ri:group', targets: ['cn=pirates,dc=x'] }],
  });

  it('has its attributes and account sources resolved for the resource it targets, its associations as written', () => {
    const resolved = constructionWithIdentifierNames(construction, ldap);
    expect(resolved.attribute.map((a) => a.ref)).toEqual(['icfs:name', 'icfs:uid', 'ri:description', 'ri:title']);
    expect(resolved.attribute[0]!.outbound[0]!.source).toEqual([{ path: '$user/name' }]);
    expect(resolved.attribute[2]!.outbound[0]!.source).toEqual([{ path: '$account/attributes/icfs:name', name: 'dn' }]);
    expect(resolved.association).toEqual(construction.association);
  });

  it("a script still sees a resolved source by the name it was written with", () => {
    const mapping = constructionWithIdentifierNames(construction, ldap).attribute[2]!.outbound[0]!;
    const compiled = compileMapping(mapping, { context: { role: 'test' }, defaultSourceRoot: 'user' });
    expect(compiled.sources.map((s) => s.variable)).toEqual(['dn']);
  });

  it('on a table, dn is an ordinary column', () => {
    expect(constructionWithIdentifierNames(construction, table).attribute.map((a) => a.ref)).toEqual(['ri:dn', 'ri:entryUUID', 'ri:description', 'ri:title']);
  });
});
