/**
 * A resource's object types as the LDAP connector needs them: accounts are read and created with
 * the delineation of the resource's account type (its baseContext, object class and searchFilter
 * where it sets them, the connector's otherwise); each entitlement type has its own delineation, and
 * each association of the account type finds its entitlements (groups) under the one it names.
 */
import type { LdapConnectorConfig, ObjectTypeDefinition } from '../../schema/config';
import { associationAttribute } from '../../schema/association-names';
import { findObjectTypeAmong } from '../../model/resources';
import type { LdapAssociation } from './ldap-associations';
import { delineationFilter, type LdapDelineation } from './ldap-delineation';

/** An entitlement type (groups) of the resource: its intent and delineation. */
export interface LdapEntitlementType extends LdapDelineation {
  intent: string;
}

/** `config.baseContext` and `config.searchFilter` of the result are the account type's delineation. */
export function ldapObjectTypes(
  config: LdapConnectorConfig,
  objectTypes: readonly ObjectTypeDefinition[] = [],
): { config: LdapConnectorConfig; associations: LdapAssociation[]; entitlements: LdapEntitlementType[] } {
  const account = findObjectTypeAmong(objectTypes, 'account');
  const effective: LdapConnectorConfig = {
    ...config,
    ...(account?.baseContext !== undefined ? { baseContext: account.baseContext } : {}),
    searchFilter: delineationFilter(account?.objectClass, account?.searchFilter ?? config.searchFilter),
    ...(account?.objectClasses !== undefined ? { objectClasses: account.objectClasses } : {}),
  };
  const entitlements: LdapEntitlementType[] = objectTypes
    .filter((t) => t.kind === 'entitlement')
    .map((t) => ({ intent: t.intent, base: t.baseContext ?? config.baseContext, filter: delineationFilter(t.objectClass, t.searchFilter) }));
  const associations: LdapAssociation[] = [];
  for (const type of objectTypes.filter((t) => t.kind === 'account')) {
    for (const a of type.association ?? []) {
      const attribute = associationAttribute(a.ref);
      if (a.direction !== 'objectToSubject' || associations.some((x) => x.attribute === attribute)) continue;
      const entitlementType = findObjectTypeAmong(objectTypes, 'entitlement', a.intent);
      const entitlement = entitlements.find((t) => t.intent === entitlementType?.intent);
      if (!entitlement) continue;
      associations.push({
        attribute,
        base: entitlement.base,
        filter: entitlement.filter,
        memberAttribute: a.associationAttribute.replace(/^ri:/, ''),
        valueAttribute: a.valueAttribute,
        ...(a.placeholderValue !== undefined ? { placeholder: a.placeholderValue } : {}),
        referentialIntegrity: a.explicitReferentialIntegrity,
      });
    }
  }
  return { config: effective, associations, entitlements };
}
