/**
 * Roles projected to their own groups in `tally apply` files: a role's own assignment of kind
 * entitlement, `associationFromLink`, and an entitlement type whose outbound mappings read the role.
 * Wrong ones are refused with file:line: field.path: what was expected.
 */
import { loadConfigFiles } from '../../../src/config/load-config';
import { directoryHead, problemLines, validTemplate, writeConfigDir } from './helpers';

const directory = (groupSource = '$focus/description') => `${directoryHead('dc=example,dc=com')}schemaHandling:
  objectType:
    - kind: account
      default: true
      objectClass: inetOrgPerson
      baseContext: ou=people,dc=example,dc=com
      attribute:
        - ref: icfs:name
          outbound: { strength: weak, source: { path: $user/name }, expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } } }
      association:
        - { ref: ri:group, intent: group, associationAttribute: member, placeholderValue: cn=nobody }
    - kind: entitlement
      intent: group
      objectClass: groupOfNames
      baseContext: ou=groups,dc=example,dc=com
      attribute:
        - ref: icfs:name
          outbound: { source: { path: $focus/name }, expression: { script: { code: "'cn=' + name + ',ou=groups,dc=example,dc=com'" } } }
        - ref: ri:description
          outbound: { strength: strong, source: { path: ${groupSource} } }
`;

const gunners = (options: { intent?: string; association?: string } = {}) => `kind: Role
name: Gunners
description: Those who fire the cannons
assignment:
  - construction: { resourceRef: Directory, kind: entitlement, intent: ${options.intent ?? 'group'} }
inducement:
  - construction:
      resourceRef: Directory
      association:
        - ${options.association ?? '{ ref: ri:group, associationFromLink: {} }'}
`;

const load = (files: Record<string, string>) => loadConfigFiles([writeConfigDir({ 't.yaml': validTemplate, ...files })]);

describe('roles projected to their own groups in configuration', () => {
  it('a role with its own entitlement construction and associationFromLink loads', () => {
    const role = load({ 'ldap.yaml': directory(), 'gunners.yaml': gunners() }).objects.find((o) => o.object.kind === 'Role')!.object;
    expect(role).toMatchObject({
      assignment: [{ accountConstruction: { resourceRef: 'Directory', kind: 'entitlement', intent: 'group' } }],
      inducement: [{ construction: { association: [{ ref: 'ri:group', associationFromLink: {} }] } }],
    });
  });

  it('an entitlement type\'s outbound mapping reading what a role does not have is refused', () => {
    const content = directory('$focus/title');
    const lines = problemLines(() => load({ 'ldap.yaml': content, 'gunners.yaml': gunners() }));
    const line = content.split('\n').findIndex((l) => l.includes('$focus/title')) + 1;
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`ldap\\.yaml:${line}: schemaHandling\\.objectType\\[1\\]\\.attribute\\[1\\]\\.outbound\\.source\\.path: 'title' is not a role property.*expected one of oid, name, description$`)),
    ]);
  });

  it('a role\'s own construction of an entitlement type the resource lacks is refused', () => {
    const lines = problemLines(() => load({ 'ldap.yaml': directory(), 'gunners.yaml': gunners({ intent: 'team' }) }));
    expect(lines).toEqual([expect.stringMatching(/gunners\.yaml:5: assignment\[0\]\.construction\.intent: resource "Directory" has no entitlement object type with intent "team"/)]);
  });

  it('an association with both targets and associationFromLink is refused', () => {
    const lines = problemLines(() =>
      load({ 'ldap.yaml': directory(), 'gunners.yaml': gunners({ association: '{ ref: ri:group, targets: ["cn=x"], associationFromLink: {} }' }) }),
    );
    expect(lines).toEqual([expect.stringMatching(/gunners\.yaml:\d+: inducement\[0\]\.construction\.association\[0\]: an association needs exactly one of targets .* or associationFromLink/)]);
  });
});
