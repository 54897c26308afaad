/**
 * A small LDAP account resource for tests on the shared stack's directory: accounts under `base`, named
 * by `uid`, correlated by name; `attributes` and `tail` (more top-level YAML) add what a test needs.
 */
export function ldapResourceYaml(options: {
  oid: string;
  name: string;
  ldap: { url: string; bindDn: string };
  base: string;
  /** More `attribute:` entries, already indented for the list. */
  attributes?: string;
  /** More top-level YAML after the schema handling. */
  tail?: string;
  /** The directory's accesslog as the changelog (for live sync). */
  changelog?: boolean;
  /** uid also outbound, from the user's name (for accounts Tally creates). */
  uidOutbound?: boolean;
}): string {
  return `kind: Resource
oid: ${options.oid}
name: ${options.name}
connector:
  type: ldap
  url: ${options.ldap.url}
  bindDn: ${options.ldap.bindDn}
  bindPassword: { env: TALLY_LDAP_PASSWORD }
  baseContext: ${options.base}
  primaryIdentifier: entryUUID
${options.changelog ? '  changelog: { type: accesslog, base: cn=accesslog }\n' : ''}schemaHandling:
  accountType:
    - name: Default Account
      default: true
      objectClass: inetOrgPerson
      attribute:
        - ref: icfs:name
          outbound: { strength: weak, source: [{ path: $user/name }], expression: { script: { code: "'uid=' + name + ',${options.base}'" } } }
${options.attributes ?? ''}        - ref: uid
          inbound: { strength: weak, target: { path: $user/name } }
${options.uidOutbound ? '          outbound: { source: [{ path: $user/name }] }\n' : ''}${options.tail ?? ''}`;
}

/** fullName from the account's cn. */
export const cnToFullName = `        - ref: cn
          inbound: { target: { path: $user/fullName } }
`;

/** Accounts nobody owns become users; linked ones are synchronized. */
export const addFocusAndSynchronize = `synchronization:
  correlation:
    equal: { path: name, expression: { path: $account/attributes/uid } }
  reaction:
    - { situation: unmatched, action: { handler: addFocus } }
    - { situation: linked, action: { handler: synchronize } }
`;
