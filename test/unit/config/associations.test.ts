/**
 * Object types with their own delineation and associations (midPoint's ri:group) in `tally apply`
 * files: valid sets load; wrong ones are refused with file:line: field.path: what was expected.
 */
import { join } from 'node:path';
import { loadConfigFiles } from '../../../src/config/load-config';
import { ldapObjectTypes } from '../../../src/connectors/ldap/ldap-object-types';
import type { LdapConnectorConfig } from '../../../src/schema/config';
import { directoryHead, problemLines, validTemplate, writeConfigDir } from './helpers';

const lineOf = (content: string, text: string): number => {
  const i = content.split('\n').findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" is not in the test file`);
  return i + 1;
};

const directory = (association: string, groups = true) => `${directoryHead('dc=example,dc=com')}schemaHandling:
  accountType:
    - default: true
      objectClass: inetOrgPerson
      baseContext: ou=people,dc=example,dc=com
      searchFilter: (objectClass=inetOrgPerson)
      objectClasses: [top, person, organizationalPerson, inetOrgPerson]
      attribute:
        - ref: icfs:name
          outbound: { strength: weak, source: { path: $user/name }, expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } } }
      association:
${association}${
  groups
    ? `  objectType:
    - kind: entitlement
      intent: group
      objectClass: groupOfNames
      baseContext: ou=groups,dc=example,dc=com
`
    : ''
}`;

const groupAssociation = `        - ref: ri:group
          intent: group
          direction: objectToSubject
          associationAttribute: member
          valueAttribute: dn
          placeholderValue: cn=nobody
`;

const pirate = (association: string) => `kind: Role
name: Pirate
inducement:
  - construction:
      resourceRef: Directory
      association:
${association}`;

describe('associations in configuration', () => {
  it('a resource with accounts and groups, and a role giving a group, load', () => {
    const dir = writeConfigDir({
      'ldap.yaml': directory(groupAssociation),
      'pirate.yaml': pirate('        - { ref: group, targets: ["cn=pirates,ou=groups,dc=example,dc=com"] }\n'),
      't.yaml': validTemplate,
    });
    const objects = loadConfigFiles([dir]).objects.map((o) => o.object);
    const resource = objects.find((o) => o.kind === 'Resource')!;
    if (resource.kind !== 'Resource') throw new Error('expected the resource');
    // `objectType` entries come first, then `accountType` ones.
    const [groups, account] = resource.schemaHandling.objectType;
    expect(account).toMatchObject({ kind: 'account', baseContext: 'ou=people,dc=example,dc=com', searchFilter: '(objectClass=inetOrgPerson)' });
    expect(account.association).toEqual([
      {
        ref: 'ri:group',
        kind: 'entitlement',
        intent: 'group',
        direction: 'objectToSubject',
        associationAttribute: 'member',
        valueAttribute: 'dn',
        tolerant: true,
        explicitReferentialIntegrity: true,
        placeholderValue: 'cn=nobody',
      },
    ]);
    expect(groups).toMatchObject({ kind: 'entitlement', intent: 'group', objectClass: 'groupOfNames', baseContext: 'ou=groups,dc=example,dc=com' });
    const role = objects.find((o) => o.kind === 'Role')!;
    if (role.kind !== 'Role') throw new Error('expected the role');
    expect(role.inducement[0].construction?.association).toEqual([{ ref: 'group', targets: ['cn=pirates,ou=groups,dc=example,dc=com'] }]);
  });

  it('an association naming an entitlement intent the resource does not have', () => {
    const content = directory(groupAssociation.replace('intent: group', 'intent: groups'));
    const dir = writeConfigDir({ 'ldap.yaml': content });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'ldap.yaml')}:${lineOf(content, 'intent: groups')}: schemaHandling.accountType[0].association[0].intent: ` +
        'no entitlement object type with intent "groups" in schemaHandling (entitlement intents: "group")',
    ]);
  });

  it("an association with intent default finds the resource's only entitlement type, in the configuration and in the LDAP connector alike", () => {
    const dir = writeConfigDir({ 'ldap.yaml': directory(groupAssociation.replace('intent: group', 'intent: default')) });
    const resource = loadConfigFiles([dir]).objects.map((o) => o.object).find((o) => o.kind === 'Resource')!;
    if (resource.kind !== 'Resource') throw new Error('expected the resource');
    const { associations } = ldapObjectTypes(resource.connector as LdapConnectorConfig, resource.schemaHandling.objectType);
    expect(associations).toMatchObject([{ attribute: 'association/group', base: 'ou=groups,dc=example,dc=com', memberAttribute: 'member' }]);
  });

  it('subjectToObject, and a missing association attribute', () => {
    const content = directory(groupAssociation.replace('objectToSubject', 'subjectToObject').replace('          associationAttribute: member\n', ''));
    const dir = writeConfigDir({ 'ldap.yaml': content });
    const file = join(dir, 'ldap.yaml');
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${file}:${lineOf(content, '- ref: ri:group')}: schemaHandling.accountType[0].association[0].associationAttribute: expected a string, found nothing (the field is missing)`,
    ]);
    const withAttribute = directory(groupAssociation.replace('objectToSubject', 'subjectToObject'));
    const dir2 = writeConfigDir({ 'ldap.yaml': withAttribute });
    expect(problemLines(() => loadConfigFiles([dir2]))).toEqual([
      `${join(dir2, 'ldap.yaml')}:${lineOf(withAttribute, 'subjectToObject')}: schemaHandling.accountType[0].association[0].direction: ` +
        'only objectToSubject is supported: the entitlement (group) lists its members',
    ]);
  });

  it('a role giving an association the account type does not define, or neither targets nor outbound', () => {
    const unknown = pirate('        - { ref: ri:groups, targets: ["cn=pirates,ou=groups,dc=example,dc=com"] }\n');
    const dir = writeConfigDir({ 'ldap.yaml': directory(groupAssociation), 'pirate.yaml': unknown });
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${join(dir, 'pirate.yaml')}:${lineOf(unknown, 'ri:groups')}: inducement[0].construction.association[0].ref: ` +
        'resource "Directory" has no association "ri:groups" on its account type "default" (associations: "ri:group")',
    ]);
    const empty = pirate('        - { ref: ri:group }\n');
    const dir2 = writeConfigDir({ 'ldap.yaml': directory(groupAssociation), 'pirate.yaml': empty });
    expect(problemLines(() => loadConfigFiles([dir2]))).toEqual([
      `${join(dir2, 'pirate.yaml')}:${lineOf(empty, 'ri:group')}: inducement[0].construction.association[0]: ` +
        "an association needs exactly one of targets (the entitlements' names), outbound or associationFromLink: {} (the role's own group), found a mapping",
    ]);
  });

  it('the PostgreSQL connector says plainly that it has no entitlements', () => {
    const content = `kind: Resource
name: HR
connector: { type: postgres, table: accounts }
schemaHandling:
  accountType:
    - default: true
      objectClass: accounts
      baseContext: ou=people
      association:
        - { ref: group, intent: group, associationAttribute: member }
`;
    const dir = writeConfigDir({ 'hr.yaml': content });
    const file = join(dir, 'hr.yaml');
    expect(problemLines(() => loadConfigFiles([dir]))).toEqual([
      `${file}:${lineOf(content, 'baseContext')}: schemaHandling.accountType[0].baseContext: baseContext is an LDAP setting; the postgres connector has one table per resource`,
      `${file}:${lineOf(content, '- { ref: group')}: schemaHandling.accountType[0].association[0]: ` +
        'the postgres connector has no entitlements (groups): associations need an LDAP or a SCIM resource',
    ]);
  });
});
