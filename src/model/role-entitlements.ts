/**
 * Roles as focus objects with their own projections (midPoint's entitlement objects): a role whose own
 * assignment holds a construction of kind entitlement is projected to an entitlement (an LDAP group) as
 * a user is to his accounts, by the same projector. A construction association with
 * `associationFromLink` gives the holders of the role membership of that group.
 */
import type { ResolvedAssignments, ResolvedConstruction, RoleLookup } from './roles';
import type { ResourceLookup } from './resources';
import type { RoleConfig } from '../schema/config';
import type { UserDoc } from '../schema/objects';
import { findObjectType, resourceId } from './resources';
import { findAssociation } from './associations';

/** An entitlement a role is projected to: on which resource, of which type, and its name (an LDAP group's DN). */
export interface RoleEntitlement {
  resourceRef: string;
  kind: string;
  intent: string;
  name: string;
}

/** The entitlements each role is projected to, by role oid. */
export type RoleEntitlements = Readonly<Record<string, readonly RoleEntitlement[]>>;

/** Whether a role's inducements give memberships of the role's own entitlement (so its holders need it looked up). */
export function givesOwnEntitlement(role: RoleConfig): boolean {
  return role.inducement.some((i) => i.construction?.association?.some((a) => a.associationFromLink !== undefined));
}

/** Whether a role is projected to entitlements of its own. */
export function hasOwnProjection(role: Pick<RoleConfig, 'assignment'>): boolean {
  return (role.assignment ?? []).length > 0;
}

/**
 * The role as the projector's focus: its name, description and assignments, and the shadows it links.
 * Outbound mappings of its entitlement type read them as `$focus/name`, `$focus/description`.
 */
export function roleAsFocus(role: RoleConfig & { oid: string; version: number; storedAt: string }, linkRef: readonly string[]): UserDoc {
  const focus = {
    oid: role.oid,
    name: role.name,
    ...(role.description !== undefined ? { description: role.description } : {}),
    assignment: role.assignment ?? [],
    linkRef: [...linkRef],
    version: role.version,
    metadata: { createTimestamp: role.storedAt, modifyTimestamp: role.storedAt },
  };
  return focus as UserDoc;
}

/**
 * A construction whose associations name `associationFromLink` with the inducing role's own entitlements
 * as fixed targets (of the association's entitlement type, on the construction's resource). A role not
 * (yet) projected gives none.
 */
function withLinkedTargets(resolved: ResolvedConstruction, roles: RoleLookup, resources: ResourceLookup, entitlements: RoleEntitlements): ResolvedConstruction {
  const construction = resolved.construction;
  if (!construction.association?.some((a) => a.associationFromLink !== undefined)) return resolved;
  const role = roles(resolved.rolePath[resolved.rolePath.length - 1] ?? '');
  const resource = resources(construction.resourceRef);
  const accountType = resource ? findObjectType(resource, construction.kind, construction.intent) : undefined;
  const association = construction.association.map((a) => {
    if (a.associationFromLink === undefined) return a;
    const intent = accountType ? findAssociation(accountType, a.ref)?.intent : undefined;
    const own = (role?.oid ? entitlements[role.oid] : undefined) ?? [];
    const targets = own.filter((e) => resource && e.resourceRef === resourceId(resource) && e.kind === 'entitlement' && e.intent === intent).map((e) => e.name);
    return { ref: a.ref, targets };
  });
  return { ...resolved, construction: { ...construction, association } };
}

/** Resolved assignments with every `associationFromLink` replaced by the role's own entitlements. */
export function withRoleEntitlements(resolved: ResolvedAssignments, roles: RoleLookup, resources: ResourceLookup, entitlements: RoleEntitlements | undefined): ResolvedAssignments {
  if (!resolved.constructions.some((c) => c.construction.association?.some((a) => a.associationFromLink !== undefined))) return resolved;
  return { ...resolved, constructions: resolved.constructions.map((c) => withLinkedTargets(c, roles, resources, entitlements ?? {})) };
}
