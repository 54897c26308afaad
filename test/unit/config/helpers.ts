import { ConfigError } from '../../../src/config/load-config';

export { writeConfigDir } from '../../support/config-dir';
/** Runs `load`, which must throw a ConfigError, and returns its problem lines. */
export function problemLines(load: () => unknown): string[] {
  try {
    load();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.message.split('\n').slice(1).map((l) => l.trim());
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

/** The head of a resource named Directory: its LDAP connector on the dev stack, searching below `baseContext`. */
export const directoryHead = (baseContext: string) => `kind: Resource
name: Directory
connector:
  type: ldap
  url: ldap://127.0.0.1:3890
  bindDn: cn=admin,dc=example,dc=com
  bindPassword: { env: TALLY_LDAP_PASSWORD }
  baseContext: ${baseContext}
`;

export const validLdapResource = `${directoryHead('ou=people,dc=example,dc=com')}schemaHandling:
  accountType:
    - default: true
      objectClass: inetOrgPerson
      attribute:
        - ref: icfs:name
          outbound:
            strength: weak
            source: { path: $user/name }
            expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } }
        - ref: cn
          outbound: { source: [{ path: $user/fullName }] }
synchronization:
  reaction:
    - { situation: unmatched, action: { handler: addFocus, objectTemplateRef: Default } }
`;

export const validTemplate = `kind: ObjectTemplate
name: Default
mapping:
  - strength: weak
    source: [{ path: givenName }, { path: familyName }]
    expression: { script: { code: "givenName + ' ' + familyName" } }
    target: { path: fullName }
`;
