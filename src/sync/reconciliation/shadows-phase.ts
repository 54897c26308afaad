/**
 * Reconciliation's third phase: shadows the run did not see on the resource. Each is looked up on the
 * resource by its identifier (a search can miss an object renamed while it ran); one that is gone is
 * the `deleted` situation, and its reaction runs.
 */
import { synchronizeChange } from '../synchronize-change';
import { nowOf, type SyncDeps } from '../sync-deps';
import { inBucket, isOutage } from './objects-page';
import { addResult, count, objectError, type RunPieceResult, type RunScope } from './run-scope';
import { reconcileRoleEntitlements } from './entitlements-phase';

export interface UnseenShadowsPage extends RunPieceResult {
  /** The last shadow oid looked at; undefined when there are no more. */
  after?: string;
}

export async function reconcileUnseenShadows(
  deps: SyncDeps,
  scope: RunScope,
  options: { after?: string; startedAt: string; limit: number },
): Promise<UnseenShadowsPage> {
  const shadows = await deps.repo.shadows.unseen(scope.resourceOid, scope.runId, { after: options.after, createdBefore: options.startedAt, limit: options.limit });
  const result: UnseenShadowsPage = { stats: {}, errors: [], after: shadows.length === options.limit ? shadows[shadows.length - 1].oid : undefined };
  // The roles' own entitlements, once per run: the objects phase reads accounts only.
  if (options.after === undefined && (scope.bucket?.index ?? 0) === 0) addResult(result, await reconcileRoleEntitlements(deps, scope));
  for (const shadow of shadows) {
    if (!inBucket(scope, shadow.primaryIdentifier!)) continue;
    // Entitlements (a role's own group) are not among the objects the run reads; their roles reconciled them above.
    if (shadow.kind !== 'account') continue;
    try {
      const outcome = await synchronizeChange(
        deps,
        { resourceRef: scope.resourceOid, channel: 'recon', changeType: 'unknown', primaryIdentifier: shadow.primaryIdentifier!, secondaryIdentifier: shadow.secondaryIdentifier ?? undefined },
        scope.workflowId,
      );
      count(result.stats, outcome.situation === 'deleted' ? 'deleted' : 'missedBySearch');
    } catch (e) {
      if (isOutage(e)) throw e;
      count(result.stats, 'errors');
      result.errors.push(objectError(shadow.secondaryIdentifier ?? shadow.primaryIdentifier!, e, nowOf(deps)));
    }
  }
  return result;
}
