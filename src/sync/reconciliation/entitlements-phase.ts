/**
 * Reconciliation of the entitlements roles are projected to (a role's own group): every role whose own
 * construction asks for an entitlement on the resource is recomputed against its group as the resource
 * has it now. A group changed behind Tally's back gets its strong values back; a group already there
 * under the role's name is linked to the role (correlation by name); a missing one is created.
 */
import type { ResourceConfig } from '../../schema/config';
import { provisionRole } from '../role-projection';
import { nowOf, type SyncDeps } from '../sync-deps';
import { isOutage } from './objects-page';
import { count, objectError, type RunPieceResult, type RunScope } from './run-scope';

const asksForEntitlementOn = (resource: ResourceConfig & { oid: string }) => (role: { assignment?: Array<{ accountConstruction?: { resourceRef: string; kind: string } }> }) =>
  (role.assignment ?? []).some((a) => a.accountConstruction && a.accountConstruction.kind !== 'account' && [resource.oid, resource.name].includes(a.accountConstruction.resourceRef));

export async function reconcileRoleEntitlements(deps: SyncDeps, scope: RunScope): Promise<RunPieceResult> {
  const [resource, { roles }] = await Promise.all([deps.connectors.resource(scope.resourceOid), deps.repo.configSnapshot()]);
  const result: RunPieceResult = { stats: {}, errors: [] };
  for (const role of roles.filter(asksForEntitlementOn(resource))) {
    try {
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
