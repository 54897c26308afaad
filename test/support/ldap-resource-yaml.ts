/** The resource's identity and LDAP connector, binding with the password in TALLY_LDAP_PASSWORD. */
export function resourceHead(options: { oid: string; name: string; ldap: { url: string; bindDn: string } }, baseContext: string): string {
  return `kind: Resource
oid: ${options.oid}
name: ${options.name}
connector:
  type: ldap
  url: ${options.ldap.url}
  bindDn: ${options.ldap.bindDn}
  bindPassword: { env: TALLY_LDAP_PASSWORD }
  baseContext: ${baseContext}
  primaryIdentifier: entryUUID`;
}

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
  return `${resourceHead(options, options.base)}
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

/** The `reaction:` list of a `synchronization:` block: unmatched accounts become users, unlinked ones are linked and synchronized, linked ones synchronized, deleted ones unlinked. */
export const addFocusLinkSynchronizeUnlinkReactions = `  reaction:
    - { situation: unmatched, action: { handler: addFocus } }
    - { situation: unlinked, action: [{ handler: link }, { handler: synchronize }] }
    - { situation: linked, action: { handler: synchronize } }
    - { situation: deleted, action: { handler: unlink } }
`;

/** fullName from the account's cn. */
export const cnToFullName = `        - ref: cn
          inbound: { target: { path: $user/fullName } }
`;

/** A `synchronization:` block: accounts correlate to users by uid = name; `reactions` maps each situation to its handler, in order. */
export function uidSynchronization(reactions: Record<string, string>): string {
  const lines = Object.entries(reactions).map(([situation, handler]) => `    - { situation: ${situation}, action: { handler: ${handler} } }\n`);
  return `synchronization:
  correlation:
    equal: { path: name, expression: { path: $account/attributes/uid } }
  reaction:
${lines.join('')}`;
}

/** Accounts nobody owns become users; linked ones are synchronized. */
export const addFocusAndSynchronize = uidSynchronization({ unmatched: 'addFocus', linked: 'synchronize' });

/** Accounts nobody owns become users, unlinked ones are linked, linked ones synchronized, deleted ones unlinked. */
export const addFocusLinkSynchronizeUnlink = uidSynchronization({ unmatched: 'addFocus', unlinked: 'link', linked: 'synchronize', deleted: 'unlink' });

/**
 * An LDAP resource with accounts and groups as midPoint's OpenLDAP sample sets it up: the connector's
 * base is the suffix; accounts (inetOrgPerson, named `cn=<given> <family>`: a new family name changes cn,
 * which renames them) live under `people`, groups (groupOfNames) under `groups`; the account type's
 * `ri:group` association: objectToSubject, the group's `member` holds the account's DN.
 */
export function ldapGroupsResourceYaml(options: { oid: string; name: string; ldap: { url: string; bindDn: string }; people: string; groups: string }): string {
  return `${resourceHead(options, 'dc=example,dc=com')}
schemaHandling:
  objectType:
    - kind: account
      intent: default
      default: true
      objectClass: inetOrgPerson
      baseContext: ${options.people}
      searchFilter: (objectClass=inetOrgPerson)
      objectClasses: [top, person, organizationalPerson, inetOrgPerson]
      attribute:
        - ref: icfs:name
          outbound:
            strength: weak
            source: [{ path: $user/givenName }, { path: $user/familyName }]
            expression: { script: { code: "'cn=' + givenName + ' ' + familyName + ',${options.people}'" } }
        # The naming attribute: a new value renames the entry.
        - ref: ri:cn
          outbound:
            source: [{ path: $user/givenName }, { path: $user/familyName }]
            expression: { script: { code: "givenName + ' ' + familyName" } }
        - ref: ri:sn
          outbound: { source: [{ path: $user/familyName }] }
        - ref: ri:uid
          outbound: { source: [{ path: $user/name }] }
      association:
        - ref: ri:group
          displayName: LDAP Group Membership
          kind: entitlement
          intent: group
          direction: objectToSubject
          associationAttribute: ri:member
          valueAttribute: ri:dn
          placeholderValue: cn=nobody
    - kind: entitlement
      intent: group
      displayName: LDAP Group
      objectClass: groupOfNames
      baseContext: ${options.groups}
      searchFilter: (objectClass=groupOfNames)
${uidSynchronization({ linked: 'synchronize', unlinked: 'link', deleted: 'unlink' })}`;
}
