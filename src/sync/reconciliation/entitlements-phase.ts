/**
 * Reconciliation of the entitlements roles are projected to (a role's own group): every role whose own
 * construction asks for an entitlement on the resource is recomputed against its group as the resource
 * has it now. A group changed behind Tally's back gets its strong values back; a group already there
 * under the role's name is linked to the role (correlation by name); a missing one is created, also one
 * deleted behind Tally's back (its shadow is forgotten first).
 */
import type { ResourceConfig } from '../../schema/config';
import { fetchResourceObject, removeShadow, resourceOf } from '../../provisioning';
import { provisionRole } from '../role-projection';
import { nowOf, type SyncDeps } from '../sync-deps';
import { isOutage } from './objects-page';
import { count, objectError, type RunPieceResult, type RunScope } from './run-scope';

const asksForEntitlementOn = (resource: ResourceConfig & { oid: string }) => (role: { assignment?: Array<{ accountConstruction?: { resourceRef: string; kind: string } }> }) =>
  (role.assignment ?? []).some((a) => a.accountConstruction && a.accountConstruction.kind !== 'account' && [resource.oid, resource.name].includes(a.accountConstruction.resourceRef));

export async function reconcileRoleEntitlements(deps: SyncDeps, scope: RunScope): Promise<RunPieceResult> {
  const [resource, { roles }] = await Promise.all([resourceOf(deps, scope.resourceOid), deps.repo.config.recentSnapshot()]);
  const result: RunPieceResult = { stats: {}, errors: [] };
  for (const role of roles.filter(asksForEntitlementOn(resource))) {
    try {
      await forgetDeletedEntitlements(deps, role.oid, resource.oid);
      const provisioned = await provisionRole(deps, { roleOid: role.oid, channel: 'recon', ...(scope.workflowId ? { workflowId: scope.workflowId } : {}) });
      count(result.stats, provisioned.plans.length > 0 ? 'roleEntitlementsSynchronized' : 'roleEntitlementsUnchanged');
    } catch (e) {
      if (isOutage(e)) throw e;
      count(result.stats, 'errors');
      result.errors.push(objectError(`role ${role.name}`, e, nowOf(deps)));
    }
  }
  return result;
}

/**
 * The role's groups on this resource that are gone from it (deleted by hand): their shadows and links are
 * forgotten, so the role's projection adds the group again instead of modifying one that isn't there. A
 * shadow with operations still pending is left to them.
 */
async function forgetDeletedEntitlements(deps: SyncDeps, roleOid: string, resourceOid: string): Promise<void> {
  const shadows = (await deps.repo.shadows.liveOfOwners([roleOid], 'entitlement')).filter((s) => s.resourceRef === resourceOid && s.exists && s.pendingOperations.length === 0);
  for (const shadow of shadows) {
    if (!(await fetchResourceObject(deps, resourceOid, shadow, shadow))) await removeShadow(deps, shadow);
  }
}
