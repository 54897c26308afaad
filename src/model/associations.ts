/**
 * Associations (midPoint's `ri:group`): an account's memberships in entitlements, carried through
 * outbound evaluation, shadows and reconciliation as one multi-valued pseudo-attribute per
 * association, `association/<name>`, whose values are the entitlements' names (an LDAP group's DN).
 * The connector reads and writes it on the entitlements (objectToSubject: the group's `member`).
 *
 * A construction's `targets` are a strong fixed value, so reconciliation puts back a membership
 * removed behind Tally's back; unassigning the role retracts the memberships it gave that no
 * remaining construction gives (`associationRetractions`).
 */
import type {
  AccountConstruction,
  AssociationDefinition,
  AttributeDefinition,
  ConstructionAssociation,
  ObjectTypeDefinition,
  OutboundMapping,
} from '../schema/config';
import type { AttributeDelta, AttributeValue, UserDoc } from '../schema/objects';
import { includesValue, uniqueValues } from './deltas';
import { compileMappingCached, evaluateMapping } from './mappings';
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

/** The entitlement names the constructions' associations give (conditions applied), per pseudo-attribute. */
export function associationValues(constructions: readonly AccountConstruction[], user: UserDoc): Map<string, AttributeValue[]> {
  const out = new Map<string, AttributeValue[]>();
  for (const construction of constructions) {
    for (const attribute of associationConstructionAttributes(construction)) {
      const key = attribute.ref.toLowerCase();
      for (const spec of attribute.outbound) {
        const mapping = compileMappingCached(spec, { context: { role: 'association mapping', attribute: attribute.ref }, defaultSourceRoot: 'user' });
        const output = evaluateMapping(mapping, { vars: { user }, changed: undefined, targetValues: undefined });
        const values = output.values.filter((v): v is AttributeValue => ['string', 'number', 'boolean'].includes(typeof v));
        out.set(key, uniqueValues([...(out.get(key) ?? []), ...values]));
      }
    }
  }
  return out;
}

/**
 * Deltas removing the memberships that removed constructions gave and the remaining ones don't.
 * `current` (the account's values, when known) limits them to memberships the account has.
 */
export function associationRetractions(
  removed: readonly AccountConstruction[],
  remaining: readonly AccountConstruction[],
  user: UserDoc,
  current?: (attribute: string) => readonly AttributeValue[] | undefined,
): AttributeDelta[] {
  const gone = associationValues(removed, user);
  const kept = associationValues(remaining, user);
  const deltas: AttributeDelta[] = [];
  for (const [attribute, values] of gone) {
    const have = current?.(attribute);
    const remove = values.filter((v) => !includesValue(kept.get(attribute) ?? [], v) && (have === undefined || includesValue(have, v)));
    if (remove.length > 0) deltas.push({ path: attribute, delete: remove });
  }
  return deltas;
}
