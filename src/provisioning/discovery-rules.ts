/**
 * Pure rules of discovery: whether an assignment still asks for an account, and how a pending add turns
 * into a modify of an account found on the resource.
 */
import type { ResourceConfig, RoleConfig } from '../schema/config';
import type { AttributeDelta, AttributeValue, Attributes, ShadowDoc, UserDoc } from '../schema/objects';
import { resolveAssignments, resourceId, resourceLookup, roleLookup } from '../model';

/** True when one of the user's assignments (directly or through roles) constructs this shadow's account. */
export function isAccountRequired(
  user: Pick<UserDoc, 'assignment'>,
  shadow: Pick<ShadowDoc, 'resourceRef' | 'kind' | 'intent'>,
  context: { roles: RoleConfig[]; resources: ResourceConfig[] },
): boolean {
  const resources = resourceLookup(context.resources);
  const { constructions } = resolveAssignments(user.assignment, roleLookup(context.roles));
  return constructions.some(({ construction }) => {
    const resource = resources(construction.resourceRef);
    return !!resource && resourceId(resource) === shadow.resourceRef && construction.kind === shadow.kind && construction.intent === shadow.intent;
  });
}

const sameValues = (a: readonly AttributeValue[], b: readonly AttributeValue[]) => {
  const norm = (v: readonly AttributeValue[]) => v.map(String).sort();
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
};

/**
 * The deltas that give an existing account the attributes a pending add wanted (attribute names are
 * compared case-insensitively, as LDAP does). Attributes the add does not mention are left alone.
 */
export function deltasToReach(wanted: Attributes, current: Attributes): AttributeDelta[] {
  const currentByName = new Map(Object.entries(current).map(([name, values]) => [name.toLowerCase(), values]));
  const deltas: AttributeDelta[] = [];
  for (const [name, values] of Object.entries(wanted)) {
    if (name.toLowerCase() === 'objectclass') continue;
    const now = currentByName.get(name.toLowerCase()) ?? [];
    if (!sameValues(values, now)) deltas.push({ path: name, replace: values });
  }
  return deltas;
}
