/**
 * Reconciliation's first phase, operation completion: every shadow of the resource with pending
 * operations gets its provisionAccount workflow woken or started again, and shadows of accounts long gone
 * (no owner, nothing pending, past the resource's dead-shadow retention) are removed; accounts disabled
 * instead of deleted longer than their object type's `deleteAfter` are deleted.
 */
import { durationToMs } from '../../schema/config';
import { resourceOf, resumePendingOperations } from '../../provisioning';
import { nowOf, type SyncDeps } from '../sync-deps';
import { deleteExpiredDeprovisioned } from '../deprovisioning';
import type { RunPieceResult, RunScope } from './run-scope';

export async function completePendingOperations(deps: SyncDeps, scope: Pick<RunScope, 'resourceOid'>): Promise<RunPieceResult> {
  const resource = await resourceOf(deps, scope.resourceOid);
  const { shadowOids } = await resumePendingOperations(deps, resource.oid);
  const before = new Date(Date.parse(nowOf(deps)) - durationToMs(resource.consistency.deadShadowRetention)).toISOString();
  const removed = await deps.repo.shadows.removeGone(resource.oid, before);
  const expired = await deleteExpiredDeprovisioned(deps, resource);
  return { stats: { operationsResumed: shadowOids.length, goneShadowsRemoved: removed, ...(expired > 0 ? { disabledAccountsDeleted: expired } : {}) }, errors: [] };
}
