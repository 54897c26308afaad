/**
 * What a run held at its thresholds: shown as a simulation (the run's id) while the run waits for
 * approval, and synchronized when it is approved (or when the counts stayed within the thresholds).
 */
import { countItem, HOLD_KEPT_FOR_MS } from '../../model';
import type { RunStats } from '../../repository/repository';
import { withConcurrency } from '../../support/concurrency';
import { isOutage } from '../outage';
import { synchronizeChange } from '../synchronize-change';
import { nowOf, type SyncDeps } from '../sync-deps';
import { thresholdHolds } from '../../observability/metrics';
import { SYNCHRONIZATION_WIDTH } from './objects-page';
import { count, objectError, type RunPieceResult, type RunScope } from './run-scope';

const PAGE = 1_000;

/** What a run or live sync held, as a simulation document under `id` (its items are stored already). */
export async function beginHoldView(
  deps: SyncDeps,
  input: { id: string; type: 'recon' | 'import' | 'live-sync'; resourceOid: string; resourceName: string; workflowId: string; startedAt: string; reasons: string[]; stats: RunStats },
): Promise<void> {
  await deps.repo.simulations.begin({
    id: input.id,
    type: input.type,
    resourceRef: input.resourceOid,
    resourceName: input.resourceName,
    workflowId: input.workflowId,
    state: 'finished',
    phase: 'awaiting-approval',
    startedAt: input.startedAt,
    stats: input.stats,
    total: null,
    expireAt: new Date(Date.now() + HOLD_KEPT_FOR_MS),
    held: { reasons: input.reasons },
  });
  thresholdHolds.inc({ resource: input.resourceName, source: input.type });
}

/** The run's held operations become a simulation people can read (`tally simulation show <run id>`). */
export async function recordHold(
  deps: SyncDeps,
  input: { runId: string; type: 'recon' | 'import' | 'live-sync'; resourceOid: string; resourceName: string; workflowId: string; startedAt: string; reasons: string[] },
): Promise<void> {
  const stats: RunStats = {};
  for (let after: string | undefined, page = await deps.repo.simulations.heldItems(input.runId, { limit: PAGE }); page.length > 0; page = await deps.repo.simulations.heldItems(input.runId, { after, limit: PAGE })) {
    for (const item of page) countItem(stats, item);
    stats.seen = (stats.seen ?? 0) + page.length;
    after = page[page.length - 1].key;
  }
  await beginHoldView(deps, { ...input, id: input.runId, stats });
}

/** Synchronizes the next page of the run's held objects (read from the resource again); `after`: where the next page starts. */
export async function synchronizeHeldPage(deps: SyncDeps, scope: Pick<RunScope, 'runId' | 'workflowId'>, options: { after?: string; limit: number }): Promise<RunPieceResult & { after?: string }> {
  const items = await deps.repo.simulations.heldItems(scope.runId, options);
  const result: RunPieceResult & { after?: string } = { stats: {}, errors: [], after: items.length === options.limit ? items[items.length - 1].key : undefined };
  await withConcurrency(items, SYNCHRONIZATION_WIDTH, async (item) => {
    try {
      await synchronizeChange(deps, item.held!.change, scope.workflowId);
      count(result.stats, 'synchronized');
      count(result.stats, 'heldDone');
    } catch (e) {
      if (isOutage(e)) throw e;
      count(result.stats, 'errors');
      result.errors.push(objectError(item.object, e, nowOf(deps)));
    }
  });
  return result;
}
