/** The groups roles are projected to, as the shadows linked to the roles say: what `associationFromLink` memberships point at. */
import { givesOwnEntitlement, type RoleEntitlement, type RoleEntitlements } from '../model';
import type { StoredRole } from '../repository/repository';
import type { ProvisioningDeps } from './provisioning-deps';

/** The groups the roles whose holders get `associationFromLink` memberships are projected to (one read, none when no role does). */
export async function roleEntitlementsOf(deps: Pick<ProvisioningDeps, 'repo'>, roles: readonly StoredRole[]): Promise<RoleEntitlements> {
  const giving = roles.filter(givesOwnEntitlement).map((r) => r.oid);
  const byRole: Record<string, RoleEntitlement[]> = {};
  for (const shadow of await deps.repo.shadows.liveOfOwners(giving, 'entitlement')) {
    // A group not created yet can hold no member.
    if (!shadow.exists || !shadow.ownerRef || !shadow.secondaryIdentifier) continue;
    (byRole[shadow.ownerRef] ??= []).push({ resourceRef: shadow.resourceRef, kind: shadow.kind, intent: shadow.intent, name: shadow.secondaryIdentifier });
  }
  return byRole;
}
