/**
 * The LDAP connector as an entitlement type's objects need it (a role's own group): reads and writes
 * under that type's delineation (its baseContext, searchFilter, object classes), without the account
 * type's associations. A new group gets the association's placeholder as its first member, since
 * groupOfNames needs one and a role's group has no member when it is created.
 */
import type { LdapConnectorConfig, ObjectTypeDefinition } from '../../schema/config';
import type { Attributes } from '../../schema/objects';
import type { Connector } from '../connector-types';

export interface LdapEntitlementScope {
  config: LdapConnectorConfig;
  /** The member attribute and the value a new group holds when nobody else is in it. */
  placeholder?: { attribute: string; value: string };
}

export function ldapEntitlementScope(config: LdapConnectorConfig, objectTypes: readonly ObjectTypeDefinition[], type: ObjectTypeDefinition): LdapEntitlementScope {
  const association = objectTypes
    .filter((t) => t.kind === 'account')
    .flatMap((t) => t.association ?? [])
    .find((a) => a.intent === type.intent && a.placeholderValue !== undefined);
  return {
    config: {
      ...config,
      baseContext: type.baseContext ?? config.baseContext,
      searchFilter: type.searchFilter ?? `(objectClass=${type.objectClass})`,
      objectClasses: type.objectClasses ?? ['top', type.objectClass],
    },
    ...(association ? { placeholder: { attribute: association.associationAttribute.replace(/^ri:/, ''), value: association.placeholderValue! } } : {}),
  };
}

/** A new group's attributes with the placeholder member when they name no member. */
export function withPlaceholderMember(attributes: Attributes, placeholder: LdapEntitlementScope['placeholder']): Attributes {
  if (!placeholder) return attributes;
  const named = Object.entries(attributes).some(([name, values]) => name.replace(/^ri:/, '').toLowerCase() === placeholder.attribute.toLowerCase() && values.length > 0);
  return named ? attributes : { ...attributes, [placeholder.attribute]: [placeholder.value] };
}

/** The group connector, creating new groups with the placeholder member. */
export function creatingWithPlaceholder(connector: Connector, placeholder: LdapEntitlementScope['placeholder']): Connector {
  return { ...connector, create: (name, attributes) => connector.create(name, withPlaceholderMember(attributes, placeholder)) };
}
