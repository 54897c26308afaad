/**
 * Which account attributes a change made on the resource can put out of line with what Tally says: the
 * values strong mappings give (the object type's own and the owner's constructions'), attributes that
 * tolerate no values of others, and the status attribute when its outbound is strong. A live change of one
 * of them is answered with a recompute of the owner; a change of any other attribute needs none.
 */
import type { AccountConstruction, ObjectTypeDefinition, ResourceConfig } from '../schema/config';
import { isAssociationAttribute } from '../schema/association-names';
import { attributeName } from './paths';

export interface EnforcedAttributesInput {
  resource: Pick<ResourceConfig, 'oid' | 'name'>;
  objectType: ObjectTypeDefinition;
  /** The owner's constructions (direct and induced by his roles), on any resource. */
  constructions: readonly AccountConstruction[];
}

const key = (ref: string) => attributeName(ref).toLowerCase();

export function enforcedAttributes({ resource, objectType, constructions }: EnforcedAttributesInput): Set<string> {
  const enforced = new Set<string>();
  for (const attribute of objectType.attribute) {
    if (!attribute.tolerant || attribute.outbound.some((m) => m.strength === 'strong')) enforced.add(key(attribute.ref));
  }
  const status = objectType.activation?.administrativeStatus;
  if (status?.outbound?.strength === 'strong') enforced.add(key(status.attribute));
  const ours = constructions.filter(
    (c) => (c.resourceRef === resource.oid || c.resourceRef === resource.name) && c.kind === objectType.kind && c.intent === objectType.intent,
  );
  for (const construction of ours) {
    for (const attribute of construction.attribute) if (attribute.outbound.some((m) => m.strength === 'strong')) enforced.add(key(attribute.ref));
  }
  return enforced;
}

/** Whether these changed attributes (a change's delta paths) touch what Tally enforces; memberships always do. */
export function touchesEnforced(changedAttributes: readonly string[], enforced: ReadonlySet<string>): boolean {
  return changedAttributes.some((path) => isAssociationAttribute(path) || enforced.has(key(path)));
}
