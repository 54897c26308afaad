/**
 * A resource's object types as the LDAP connector needs them: accounts are read and created with
 * the delineation of the resource's account type (its baseContext, searchFilter and objectClasses
 * where it sets them, the connector's otherwise); each association of the account type finds its
 * entitlements (groups) under the delineation of the entitlement type it names.
 */
import type { LdapConnectorConfig, ObjectTypeDefinition } from '../../schema/config';
import { associationAttribute } from '../../schema/association-names';
import type { LdapAssociation } from './ldap-associations';

function accountType(objectTypes: readonly ObjectTypeDefinition[]): ObjectTypeDefinition | undefined {
  const accounts = objectTypes.filter((t) => t.kind === 'account');
  return accounts.find((t) => t.default) ?? (accounts.length === 1 ? accounts[0] : undefined);
}

export function ldapObjectTypes(
  config: LdapConnectorConfig,
  objectTypes: readonly ObjectTypeDefinition[] = [],
): { config: LdapConnectorConfig; associations: LdapAssociation[] } {
  const account = accountType(objectTypes);
  const effective: LdapConnectorConfig = {
    ...config,
    ...(account?.baseContext !== undefined ? { baseContext: account.baseContext } : {}),
    ...(account?.searchFilter !== undefined ? { searchFilter: account.searchFilter } : {}),
    ...(account?.objectClasses !== undefined ? { objectClasses: account.objectClasses } : {}),
  };
  const associations: LdapAssociation[] = [];
  for (const type of objectTypes.filter((t) => t.kind === 'account')) {
    for (const a of type.association ?? []) {
      const attribute = associationAttribute(a.ref);
      if (a.direction !== 'objectToSubject' || associations.some((x) => x.attribute === attribute)) continue;
      const entitlement = objectTypes.find((t) => t.kind === 'entitlement' && t.intent === a.intent);
      if (!entitlement) continue;
      associations.push({
        attribute,
        base: entitlement.baseContext ?? config.baseContext,
        filter: entitlement.searchFilter ?? `(objectClass=${entitlement.objectClass})`,
        memberAttribute: a.associationAttribute.replace(/^ri:/, ''),
        valueAttribute: a.valueAttribute,
        ...(a.placeholderValue !== undefined ? { placeholder: a.placeholderValue } : {}),
        referentialIntegrity: a.explicitReferentialIntegrity,
      });
    }
  }
  return { config: effective, associations };
}
