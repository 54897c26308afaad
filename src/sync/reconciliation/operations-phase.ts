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
import { simulateStep } from '../simulation/simulated-change';
import { recordItems, stepItems } from './simulated-run';

export async function completePendingOperations(deps: SyncDeps, scope: Pick<RunScope, 'resourceOid' | 'simulation'>): Promise<RunPieceResult> {
  if (!scope.simulation) return completeOperations(deps, scope);
  // Simulated: what the phase would send to the resource (delayed deletes) becomes the simulation's items.
  const step = await simulateStep(deps, (simulated) => completeOperations(simulated, scope));
  const result = step.result ?? { stats: {}, errors: [] };
  await recordItems(deps, { simulation: scope.simulation, runId: scope.simulation.id }, stepItems(step, 'pending operations', 'p'), result);
  return result;
}

async function completeOperations(deps: SyncDeps, scope: Pick<RunScope, 'resourceOid'>): Promise<RunPieceResult> {
  const resource = await resourceOf(deps, scope.resourceOid);
  const { shadowOids } = await resumePendingOperations(deps, resource.oid);
  const before = new Date(Date.parse(nowOf(deps)) - durationToMs(resource.consistency.deadShadowRetention)).toISOString();
  const removed = await deps.repo.shadows.removeGone(resource.oid, before);
  const expired = await deleteExpiredDeprovisioned(deps, resource);
  return { stats: { operationsResumed: shadowOids.length, goneShadowsRemoved: removed, ...(expired > 0 ? { disabledAccountsDeleted: expired } : {}) }, errors: [] };
}
