import { join } from 'node:path';
import { derivedOid } from '../../../src/config/oids';
import { loadConfigFiles } from '../../../src/config/load-config';
import { seedExamplePaths } from '../../../src/dev/dev-examples';

const examples = join(__dirname, '../../../examples');

describe('the examples', () => {
  it('validate and cross-reference cleanly', () => {
    const { objects } = loadConfigFiles(seedExamplePaths(examples));
    const summary = objects.map((o) => [o.file.slice(examples.length + 1), o.index, o.object.kind, o.object.name, o.object.oid]);
    expect(summary).toEqual([
      ['resources/hr-postgres.yaml', 0, 'Resource', 'MyLittleAD', 'c0c010c0-d34d-b33f-f00d-333111111112'],
      ['resources/ldap.yaml', 0, 'Resource', 'OpenDJ LDAP directory', 'c0c010c0-d34d-b33f-f00d-333111111111'],
      ['roles/pirate.yaml', 0, 'Role', 'Pirate', derivedOid('Role', 'Pirate')],
      ['templates/default-user.yaml', 0, 'ObjectTemplate', 'Default User Template', 'c0c010c0-d34d-b33f-f00d-777111111111'],
      ['users/jack.yaml', 0, 'User', 'jack', 'c0c010c0-d34d-b33f-f00d-111111111111'],
    ]);
  });

  it('hold the seeds\' objects as DESIGN.md shows them', () => {
    const { objects } = loadConfigFiles(seedExamplePaths(examples));
    const byName = new Map(objects.map((o) => [o.object.name, o.object]));
    const ldap = byName.get('OpenDJ LDAP directory');
    if (ldap?.kind !== 'Resource' || ldap.connector.type !== 'ldap') throw new Error('no LDAP resource');
    expect(ldap.connector.url).toBe('ldap://127.0.0.1:3890');
    expect(ldap.connector.bindPassword).toEqual({ env: 'TALLY_LDAP_PASSWORD' });
    expect(ldap.connector.changelog).toEqual({ type: 'accesslog', base: 'cn=accesslog' });
    const account = ldap.schemaHandling.objectType[0];
    expect(account.default).toBe(true);
    const dn = account.attribute.find((a) => a.ref === 'icfs:name')!;
    expect(dn.outbound[0]).toMatchObject({
      strength: 'weak',
      source: [{ path: '$user/name' }],
      expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } },
    });
    expect(account.attribute.find((a) => a.ref === 'sn')!.inbound[0].target.path).toBe('$user/familyName');
    expect(ldap.synchronization[0].correlation).toEqual({
      equal: { path: 'name', expression: { path: '$account/attributes/uid' } },
    });
    expect(ldap.synchronization[0].reaction.map((r) => [r.situation, r.action[0].handler])).toEqual([
      ['unmatched', 'addFocus'],
      ['unlinked', 'link'],
      ['linked', 'synchronize'],
      ['deleted', 'unlink'],
    ]);

    const pg = byName.get('MyLittleAD');
    if (pg?.kind !== 'Resource' || pg.connector.type !== 'postgres') throw new Error('no PostgreSQL resource');
    expect(pg.connector).toMatchObject({ host: '127.0.0.1', port: 5433, table: 'accounts', modifiedColumn: 'modified_at' });
    expect(pg.connector.password).toEqual({ env: 'TALLY_PG_PASSWORD' });

    const template = byName.get('Default User Template');
    if (template?.kind !== 'ObjectTemplate') throw new Error('no template');
    expect(template.mapping.map((m) => m.strength)).toEqual(['weak', 'weak']);

    const jack = byName.get('jack');
    expect(jack).toMatchObject({ fullName: 'Jack Sparrow', givenName: 'Jack', familyName: 'Sparrow' });
  });

  it("are the seeds' folders only: the midPoint sample, the AD example, the HR CSV feed, the SCIM push and the SCIM app are sets of their own, which make start does not apply", () => {
    const seeds = loadConfigFiles(seedExamplePaths(examples)).objects.map((o) => o.file);
    const everything = loadConfigFiles([examples], {}).objects;
    expect(everything.filter((o) => !seeds.includes(o.file)).map((o) => o.file.slice(examples.length + 1))).toEqual([
      'ad/ad.yaml',
      'hr-csv/resource-hr-feed.yaml',
      'hr-csv/role-employee.yaml',
      'hr-csv/template-hr-employee.yaml',
      'midpoint-sample/resource-openldap.yaml',
      'midpoint-sample/role-pirates.yaml',
      'scim-app/scim-app.yaml',
      'scim-app/scim-app.yaml',
      'scim/scim-source.yaml',
      'scim/workforce-role.yaml',
      'scim/workforce-template.yaml',
    ]);
  });
});

describe("midPoint's OpenLDAP sample (examples/midpoint-sample/)", () => {
  const { objects } = loadConfigFiles([join(examples, 'midpoint-sample')]);
  const resource = objects[0].object;
  if (resource.kind !== 'Resource' || resource.connector.type !== 'ldap') throw new Error('no LDAP resource');
  const [accounts, groups] = resource.schemaHandling.objectType;

  it("keeps the sample's layout: accounts and groups under the suffix, ri:dn / ri:entryUUID the identifiers", () => {
    expect(objects.map((o) => [o.object.kind, o.object.name, o.object.oid])).toEqual([
      ['Resource', 'Localhost OpenLDAP', '2a7c7130-7a34-11e4-bdf6-001e8c717e5b'],
      ['Role', 'Pirates', '6c5e8a3a-6f4f-4d0b-9d5c-7a3e2f1b0c11'],
    ]);
    expect(resource.connector).toMatchObject({ type: 'ldap', baseContext: 'dc=example,dc=com' });
    expect([accounts, groups].map((t) => [t.kind, t.intent, t.objectClass, t.baseContext])).toEqual([
      ['account', 'default', 'inetOrgPerson', undefined],
      ['entitlement', 'ldapGroup', 'groupOfNames', undefined],
    ]);
    expect(accounts.attribute.slice(0, 2).map((a) => [a.ref, a.matchingRule])).toEqual([
      ['icfs:name', 'distinguishedName'],
      ['icfs:uid', 'stringIgnoreCase'],
    ]);
    expect(accounts.association?.[0]).toMatchObject({ ref: 'ri:group', intent: 'ldapGroup', associationAttribute: 'ri:member', valueAttribute: 'ri:dn' });
  });

  it('protects the administrator entry by its ri:dn and correlates by employeeNumber', () => {
    expect(accounts.protected).toEqual([
      { filter: { equal: { path: '$account/attributes/icfs:name', value: 'uid=idm,ou=Administrators,dc=example,dc=com', matchingRule: 'distinguishedName' } } },
    ]);
    expect(resource.synchronization[0].correlation).toEqual({ equal: { path: 'c:employeeNumber', expression: { path: '$account/attributes/ri:employeeNumber' } } });
    expect(resource.synchronization[0].reaction.map((r) => [r.situation, r.synchronize ?? false, r.action.map((a) => a.handler)])).toEqual([
      ['linked', true, []],
      ['deleted', false, ['deleteFocus']],
      ['unlinked', false, ['link']],
      ['unmatched', false, ['addFocus']],
    ]);
  });
});

describe('the Active Directory example (examples/ad, not applied by make start)', () => {
  it('validates, with activation on __ENABLE__ and the password in unicodePwd', () => {
    const { objects } = loadConfigFiles([join(examples, 'ad', 'ad.yaml')]);
    const ad = objects[0].object;
    if (ad.kind !== 'Resource' || ad.connector.type !== 'ad') throw new Error('no AD resource');
    expect(ad.connector).toMatchObject({ url: 'ldaps://dc1.example.com', allowPlainPasswords: false });
    const account = ad.schemaHandling.objectType[0];
    expect(account.activation?.administrativeStatus).toMatchObject({ attribute: '__ENABLE__', enabledValue: 'TRUE', disabledValue: 'FALSE' });
    expect(account.credentials?.password?.attribute).toBe('unicodePwd');
  });
});
