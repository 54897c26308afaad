/**
 * Reconciliation's third phase: shadows the run did not see on the resource. Each is looked up on the
 * resource by its identifier (a search can miss an object renamed while it ran); one that is gone is
 * the `deleted` situation, and its reaction runs.
 */
import { simulateStep } from '../simulation/simulated-change';
import { recordItems, runRoutine, stepItems, type ItemSink } from './simulated-run';
import { nowOf, type SyncDeps } from '../sync-deps';
import { inBucket, isOutage } from './objects-page';
import { addResult, count, objectError, type RunPieceResult, type RunScope } from './run-scope';
import { reconcileRoleEntitlements } from './entitlements-phase';

export interface UnseenShadowsPage extends RunPieceResult {
  /** The last shadow oid looked at; undefined when there are no more. */
  after?: string;
}

/**
 * What a simulated run saw, read once per process for its third phase (by then its objects phase, and its
 * bucket's, is over: the marks no longer change). The marks are in MongoDB; this is only their copy.
 */
let seenCopy: { key: string; seen: Set<string> } | null = null;

async function seenBySimulation(deps: SyncDeps, scope: RunScope): Promise<Set<string>> {
  const key = `${scope.simulation!.id}/${scope.bucket?.index ?? 0}`;
  if (seenCopy?.key !== key) seenCopy = { key, seen: await deps.repo.simulations.seenIds(scope.simulation!.id) };
  return seenCopy.seen;
}

export async function reconcileUnseenShadows(
  deps: SyncDeps,
  scope: RunScope,
  options: { after?: string; startedAt: string; limit: number },
): Promise<UnseenShadowsPage> {
  const page = await deps.repo.shadows.unseen(scope.resourceOid, scope.runId, { after: options.after, createdBefore: options.startedAt, limit: options.limit });
  const result: UnseenShadowsPage = { stats: {}, errors: [], after: page.length === options.limit ? page[page.length - 1].oid : undefined };
  const sink: ItemSink = [];
  // A simulated run marks what it saw in its own records, not on the shadows.
  const seen = scope.simulation ? await seenBySimulation(deps, scope) : null;
  const shadows = seen ? page.filter((s) => !seen.has(s.primaryIdentifier!)) : page;
  // The roles' own entitlements, once per run: the objects phase reads accounts only.
  if (options.after === undefined && (scope.bucket?.index ?? 0) === 0) {
    if (!scope.simulation) addResult(result, await reconcileRoleEntitlements(deps, scope));
    else {
      const step = await simulateStep(deps, (simulated) => reconcileRoleEntitlements(simulated, scope));
      if (step.result) addResult(result, step.result);
      sink.push(...stepItems(step, "roles' entitlements", 'e'));
    }
  }
  for (const shadow of shadows) {
    if (!inBucket(scope, shadow.primaryIdentifier!)) continue;
    // Entitlements (a role's own group) are not among the objects the run reads; their roles reconciled them above.
    if (shadow.kind !== 'account') continue;
    try {
      const outcome = await runRoutine(
        deps,
        scope,
        { resourceRef: scope.resourceOid, channel: 'recon', changeType: 'unknown', primaryIdentifier: shadow.primaryIdentifier!, secondaryIdentifier: shadow.secondaryIdentifier ?? undefined },
        `s/${shadow.oid}`,
        sink,
      );
      count(result.stats, outcome.situation === 'deleted' ? 'deleted' : 'missedBySearch');
    } catch (e) {
      if (isOutage(e)) throw e;
      count(result.stats, 'errors');
      result.errors.push(objectError(shadow.secondaryIdentifier ?? shadow.primaryIdentifier!, e, nowOf(deps)));
    }
  }
  await recordItems(deps, scope, sink, result);
  return result;
}
