/**
 * The seeds' configuration (synchronization examples page) as our YAML would hold it, parsed
 * through the configuration schemas so defaults come from the schemas, not from the tests.
 */
import {
  objectTemplateSchema,
  resourceSchema,
  roleSchema,
  type ObjectTemplateConfig,
  type ResourceConfig,
  type RoleConfig,
} from '../../../src/schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../../../src/schema/objects';

export const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
export const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
export const TEMPLATE_OID = 'c0c010c0-d34d-b33f-f00d-777111111111';
export const JACK_OID = 'c0c010c0-d34d-b33f-f00d-111111111111';
export const JACK_LDAP_SHADOW = 'c0c010c0-d34d-b33f-f00d-222111111111';
export const JACK_AD_SHADOW = 'c0c010c0-d34d-b33f-f00d-222111111112';

/** "OpenDJ LDAP directory" of the creation scenario (the modification scenario's plus givenName/sn). */
export const ldapResource: ResourceConfig = resourceSchema.parse({
  kind: 'Resource',
  oid: LDAP_OID,
  name: 'OpenDJ LDAP directory',
  connector: {
    type: 'ldap',
    url: 'ldap://127.0.0.1:3890',
    bindDn: 'cn=admin,dc=example,dc=com',
    bindPassword: { env: 'TALLY_LDAP_PASSWORD' },
    baseContext: 'ou=people,dc=example,dc=com',
    primaryIdentifier: 'entryUUID',
  },
  schemaHandling: {
    accountType: [
      {
        name: 'Default Account',
        default: true,
        objectClass: 'ri:AccountObjectClass',
        attribute: [
          {
            ref: 'icfs:name',
            displayName: 'Distinguished Name',
            outbound: {
              strength: 'weak',
              source: { path: '$user/name' },
              expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } },
            },
          },
          { ref: 'icfs:uid', displayName: 'Entry UUID', access: 'read' },
          {
            ref: 'ri:cn',
            displayName: 'Common Name',
            outbound: { source: { path: '$user/fullName' } },
            inbound: { target: { path: '$user/fullName' } },
          },
          {
            ref: 'ri:givenName',
            displayName: 'First Name',
            outbound: { source: { path: '$user/givenName' } },
            inbound: { target: { path: '$user/givenName' } },
          },
          {
            ref: 'ri:sn',
            displayName: 'Last Name',
            outbound: { source: { path: '$user/familyName' } },
            inbound: { target: { path: '$user/familyName' } },
          },
          { ref: 'ri:description', outbound: { expression: { value: 'Created by IDM' } } },
        ],
      },
    ],
  },
  synchronization: {
    correlation: { equal: { path: 'name', expression: { path: '$account/attributes/ri:uid' } } },
    reaction: [
      { situation: 'unmatched', action: { handler: 'addFocus', objectTemplateRef: { oid: TEMPLATE_OID } } },
      { situation: 'unlinked', action: { handler: 'link' } },
      { situation: 'linked', action: { handler: 'synchronize' } },
      { situation: 'deleted', action: { handler: 'unlink' } },
    ],
  },
});

/** "MyLittleAD", played by a PostgreSQL table in our tests. */
export const adResource: ResourceConfig = resourceSchema.parse({
  kind: 'Resource',
  oid: AD_OID,
  name: 'MyLittleAD',
  connector: { type: 'postgres', table: 'ad_accounts', password: { env: 'TALLY_PG_PASSWORD' } },
  schemaHandling: {
    accountType: {
      name: 'Default Account',
      default: true,
      objectClass: 'ri:AccountObjectClass',
      attribute: [
        {
          ref: 'icfs:name',
          displayName: 'Distinguished Name',
          outbound: {
            strength: 'weak',
            source: { path: '$user/name' },
            expression: { script: { code: "'cn=' + name + ',o=Acme'" } },
          },
        },
        { ref: 'icfs:uid', displayName: 'Entry UUID', access: 'read' },
        {
          ref: 'ri:cn',
          displayName: 'Common Name',
          outbound: { source: { path: '$user/fullName' } },
          inbound: { target: { path: '$user/fullName' } },
        },
      ],
    },
  },
});

export const defaultTemplate: ObjectTemplateConfig = objectTemplateSchema.parse({
  kind: 'ObjectTemplate',
  oid: TEMPLATE_OID,
  name: 'Default User Template',
  mapping: [
    {
      strength: 'weak',
      source: [{ path: 'givenName' }, { path: 'familyName' }],
      expression: { script: { code: "givenName + ' ' + familyName" } },
      target: { path: 'fullName' },
    },
    {
      strength: 'weak',
      expression: { value: { assignment: { accountConstruction: { resourceRef: { oid: AD_OID } } } } },
      target: { path: 'assignment' },
    },
  ],
});

export const role = (doc: Record<string, unknown>): RoleConfig => roleSchema.parse({ kind: 'Role', ...doc });

const metadata = { createTimestamp: '2024-01-01T00:00:00Z', modifyTimestamp: '2024-01-01T00:00:00Z' };

export function makeUser(fields: Partial<UserDoc> & { name: string }): UserDoc {
  return { oid: `oid-${fields.name}`, assignment: [], linkRef: [], version: 1, metadata, ...fields };
}

/** Jack after the inbound change of the modification scenario. */
export const jack = (fields: Partial<UserDoc> = {}): UserDoc =>
  makeUser({
    oid: JACK_OID,
    name: 'jack',
    fullName: 'Jack Sparrow',
    givenName: 'Jack',
    familyName: 'Sparrow',
    linkRef: [JACK_LDAP_SHADOW, JACK_AD_SHADOW],
    ...fields,
  });

export function makeShadow(fields: Partial<ShadowDoc> & { oid: string; resourceRef: string }): ShadowDoc {
  return {
    objectClass: 'ri:AccountObjectClass',
    kind: 'account',
    intent: 'default',
    primaryIdentifier: `uid-${fields.oid}`,
    secondaryIdentifier: null,
    ownerRef: null,
    exists: true,
    dead: false,
    iteration: 0,
    iterationToken: '',
    pendingOperations: [],
    version: 1,
    metadata,
    ...fields,
  };
}

/** The seeds' jack shadow on LDAP: identifiers only. */
export const jackLdapShadow = makeShadow({
  oid: JACK_LDAP_SHADOW,
  resourceRef: LDAP_OID,
  primaryIdentifier: '12345678-d34d-b33f-f00d-999888777666',
  secondaryIdentifier: 'uid=jack,ou=people,dc=example,dc=com',
  ownerRef: JACK_OID,
});

export const jackAdShadow = makeShadow({
  oid: JACK_AD_SHADOW,
  resourceRef: AD_OID,
  primaryIdentifier: 'ad-jack-1',
  secondaryIdentifier: 'cn=jack,o=Acme',
  ownerRef: JACK_OID,
});

export function account(secondaryIdentifier: string, attributes: ResourceObject['attributes'], primaryIdentifier = `uid:${secondaryIdentifier}`): ResourceObject {
  return { primaryIdentifier, secondaryIdentifier, objectClass: 'ri:AccountObjectClass', attributes };
}

export const ldapObjectType = ldapResource.schemaHandling.objectType[0]!;
export const adObjectType = adResource.schemaHandling.objectType[0]!;

/** A variant of MyLittleAD with further attribute definitions and consistency settings. */
export function adResourceWith(options: {
  attributes?: unknown[];
  enforcement?: 'none' | 'relative' | 'full';
  cnStrength?: 'weak' | 'normal' | 'strong';
  nameStrength?: 'weak' | 'normal' | 'strong';
  activation?: unknown;
}): ResourceConfig {
  return resourceSchema.parse({
    kind: 'Resource',
    oid: AD_OID,
    name: 'MyLittleAD',
    connector: { type: 'postgres', table: 'ad_accounts' },
    ...(options.enforcement ? { consistency: { assignmentPolicyEnforcement: options.enforcement } } : {}),
    schemaHandling: {
      objectType: {
        default: true,
        objectClass: 'ri:AccountObjectClass',
        attribute: [
          {
            ref: 'icfs:name',
            outbound: { strength: options.nameStrength ?? 'weak', source: { path: '$user/name' }, expression: { script: { code: "'cn=' + name + ',o=Acme'" } } },
          },
          { ref: 'icfs:uid', access: 'read' },
          { ref: 'ri:cn', outbound: { strength: options.cnStrength ?? 'normal', source: { path: '$user/fullName' } } },
          ...(options.attributes ?? []),
        ],
        ...(options.activation ? { activation: options.activation } : {}),
      },
    },
  });
}
