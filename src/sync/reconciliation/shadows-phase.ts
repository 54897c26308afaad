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
 * What simulated runs saw, read once per run (and bucket) in this process for their third phase (by then
 * their objects phase is over: the marks no longer change). The marks are in MongoDB; these are only
 * copies, as large as the resource: each is dropped after its run's last page, and the fewest are kept
 * (a run that failed midway leaves its copy until others push it out).
 */
const seenCopies = new Map<string, Promise<Set<string>>>();
/** Runs (or buckets) in their third phase at once in one process, at most, whose copies are kept. */
const SEEN_COPIES_KEPT = 4;

function seenBySimulation(deps: SyncDeps, scope: RunScope): { seen: Promise<Set<string>>; release(): void } {
  const key = `${scope.simulation!.id}/${scope.bucket?.index ?? 0}`;
  let seen = seenCopies.get(key);
  if (!seen) {
    seen = deps.repo.simulations.seenIds(scope.simulation!.id);
    seen.catch(() => seenCopies.delete(key)); // read again by the page's next attempt
    seenCopies.set(key, seen);
    while (seenCopies.size > SEEN_COPIES_KEPT) seenCopies.delete(seenCopies.keys().next().value!);
  }
  return { seen, release: () => void seenCopies.delete(key) };
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
  const copy = scope.simulation ? seenBySimulation(deps, scope) : null;
  const seen = copy ? await copy.seen : null;
  if (copy && result.after === undefined) copy.release();
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
