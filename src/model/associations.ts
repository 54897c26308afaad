/**
 * Associations (midPoint's `ri:group`): an account's memberships in entitlements, carried through
 * outbound evaluation, shadows and reconciliation as one multi-valued pseudo-attribute per
 * association, `association/<name>`, whose values are the entitlements' names (an LDAP group's DN).
 * The connector reads and writes it on the entitlements (objectToSubject: the group's `member`).
 *
 * A construction's `targets` are a strong fixed value, so reconciliation puts back a membership
 * removed behind Tally's back; unassigning the role retracts the memberships it gave that no
 * remaining construction gives (the removed assignment's constructions take back their values, see
 * outbound.ts).
 */
import type {
  AccountConstruction,
  AssociationDefinition,
  AttributeDefinition,
  ConstructionAssociation,
  ObjectTypeDefinition,
  OutboundMapping,
} from '../schema/config';
import { attributeName } from './paths';
import { associationAttribute } from '../schema/association-names';

export { associationAttribute, isAssociationAttribute, ASSOCIATION_PREFIX } from '../schema/association-names';

/** The same name written either way (`ri:group`, `group`). */
export function sameAssociation(a: string, b: string): boolean {
  return attributeName(a).toLowerCase() === attributeName(b).toLowerCase();
}

export function findAssociation(objectType: ObjectTypeDefinition, ref: string): AssociationDefinition | undefined {
  return (objectType.association ?? []).find((a) => sameAssociation(a.ref, ref));
}

/** The object type's associations as attribute definitions (multi-valued, tolerant as configured). */
export function associationAttributeDefinitions(objectType: ObjectTypeDefinition): AttributeDefinition[] {
  return (objectType.association ?? []).map((a) => ({
    ref: associationAttribute(a.ref),
    ...(a.displayName !== undefined ? { displayName: a.displayName } : {}),
    multiValued: true,
    tolerant: a.tolerant,
    // The values are the entitlements' names (LDAP group DNs): `CN=Pirates,...` is `cn=pirates,...`.
    matchingRule: 'distinguishedName' as const,
    outbound: [],
    inbound: [],
  }));
}

const targetMappings = new WeakMap<ConstructionAssociation, OutboundMapping[]>();

/** A construction association's mappings: its `outbound`, or its `targets` as one strong fixed value (made once per configuration object). */
function mappingsOf(association: ConstructionAssociation): OutboundMapping[] {
  if (association.outbound) return association.outbound;
  let mappings = targetMappings.get(association);
  if (!mappings) {
    mappings = [{ strength: 'strong', source: [], expression: { value: association.targets ?? [] } }];
    targetMappings.set(association, mappings);
  }
  return mappings;
}

/** A construction's associations as construction attributes of the pseudo-attributes. */
export function associationConstructionAttributes(construction: AccountConstruction): Array<{ ref: string; outbound: OutboundMapping[] }> {
  return (construction.association ?? []).map((a) => ({ ref: associationAttribute(a.ref), outbound: mappingsOf(a) }));
}
