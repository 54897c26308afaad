/**
 * Live sync's thresholds, per sliding hour: the account operations it did in the last hour (that the
 * resource's `safety` counts) and those a poll's changes would do may not pass the thresholds. A poll that
 * could pass one simulates its changes first; the changes whose operations would pass it are held (not
 * applied, the position kept) until an operator approves or rejects them.
 */
import { randomUUID } from 'node:crypto';
import { addGuarded, anyGuarded, countItem, HOLD_KEPT_FOR_MS, exceededLimits, guardedCountsOf, guardedKinds, limitsActive, noGuardedCounts, safetyLimits, type GuardedCounts, type SafetyLimits } from '../../model';
import type { StoredResource, StoredSimulationItem } from '../../repository/repository';
import type { ResourceChange } from '../../schema/objects';
import { withConcurrency } from '../../support/concurrency';
import { simulateChange } from '../simulation/simulated-change';
import { nowOf, type SyncDeps } from '../sync-deps';
import { beginHoldView } from '../reconciliation/held-operations';

const HOUR_MS = 3_600_000;
/** Changes simulated side by side. */
const SIMULATION_WIDTH = 16;

/** What live sync held at its thresholds: why, how many objects, and where to see them (a simulation's id). */
export interface LiveSyncHold {
  reasons: string[];
  held: number;
  simulation: string;
}

export interface PollGuard {
  /** The changes to apply now. */
  apply: ResourceChange[];
  /** Changes held, as simulation items (with the change), when applying them would pass a threshold. */
  held: Array<Omit<StoredSimulationItem, 'simulationId'>>;
  reasons: string[];
  limits: SafetyLimits | null;
}

const hourAgo = (now: string) => new Date(Date.parse(now) - HOUR_MS).toISOString();

/**
 * Which of the poll's changes may be applied now. Without thresholds, or approved, all. When even the most
 * the changes could do (one operation per object type and change) stays within the thresholds with the
 * hour's operations, all, without simulating. Otherwise the changes are simulated and those whose
 * operations would pass a threshold are held.
 */
export async function guardPoll(deps: SyncDeps, resource: StoredResource, changes: readonly ResourceChange[], options: { approved?: boolean; workflowId?: string }): Promise<PollGuard> {
  const total = Object.values(resource.safety ?? {}).some((t) => typeof t === 'string' && t.endsWith('%')) ? await deps.repo.shadows.countLive(resource.oid) : 0;
  const limits = safetyLimits(resource.safety, undefined, total);
  if (!limitsActive(limits) || changes.length === 0) return { apply: [...changes], held: [], reasons: [], limits: null };
  if (options.approved) {
    await deps.repo.liveSync.clearGuarded(resource.oid);
    return { apply: [...changes], held: [], reasons: [], limits };
  }
  const window = (await deps.repo.liveSync.guardedSince(resource.oid, hourAgo(nowOf(deps)))).reduce((sum, g) => addGuarded(sum, g), noGuardedCounts());
  const objectTypes = (await deps.repo.config.snapshot()).resources.reduce((n, r) => n + r.schemaHandling.objectType.length, 0);
  const most = changes.length * Math.max(1, objectTypes);
  if (exceededLimits(limits, addGuarded({ ...window }, { deletes: most, disables: most, modifies: most })).length === 0) return { apply: [...changes], held: [], reasons: [], limits };

  const simulated = new Map<ResourceChange, { item: Awaited<ReturnType<typeof simulateChange>>; counts: GuardedCounts }>();
  await withConcurrency(changes, SIMULATION_WIDTH, async (change) => {
    const item = await simulateChange(deps, change, { workflowId: options.workflowId });
    simulated.set(change, { item, counts: guardedCountsOf(limits, item.accounts) });
  });
  const guarded = changes.filter((c) => anyGuarded(simulated.get(c)!.counts));
  const wouldDo = guarded.reduce((sum, c) => addGuarded(sum, simulated.get(c)!.counts), { ...window });
  const reasons = exceededLimits(limits, wouldDo).map((r) => `${r} in an hour`);
  if (reasons.length === 0) return { apply: [...changes], held: [], reasons: [], limits };
  return {
    apply: changes.filter((c) => !guarded.includes(c)),
    held: guarded.map((change, i) => ({ ...simulated.get(change)!.item, key: `h/${String(i).padStart(6, '0')}`, held: { change } })),
    reasons,
    limits,
  };
}

/** What the poll held, kept as a simulation people can read (`tally simulation show <id>`). */
export async function recordLiveSyncHold(deps: SyncDeps, resource: StoredResource, guard: PollGuard, workflowId: string | undefined): Promise<LiveSyncHold> {
  const id = `livesync-hold:${resource.oid}:${randomUUID().slice(0, 8)}`;
  const now = nowOf(deps);
  const expireAt = new Date(Date.parse(now) + HOLD_KEPT_FOR_MS);
  await deps.repo.simulations.addItems(id, expireAt, guard.held);
  const stats: Record<string, number> = { seen: guard.held.length };
  for (const item of guard.held) countItem(stats, item);
  await beginHoldView(deps, { id, type: 'live-sync', resourceOid: resource.oid, resourceName: resource.name, workflowId: workflowId ?? '', startedAt: now, reasons: guard.reasons, stats });
  return { reasons: guard.reasons, held: guard.held.length, simulation: id };
}

/** The operations a poll did that the thresholds count go into the hour's window. */
export async function recordGuardedDone(deps: SyncDeps, resource: StoredResource, limits: SafetyLimits | null, done: GuardedCounts): Promise<void> {
  if (!limits || !guardedKinds.some((k) => limits[k] !== null && done[k] > 0)) return;
  const now = nowOf(deps);
  await deps.repo.liveSync.recordGuarded(resource.oid, { at: now, ...done }, hourAgo(now));
}
