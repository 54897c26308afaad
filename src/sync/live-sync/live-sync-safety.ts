/**
 * Live sync's thresholds, per sliding hour: the account operations it did in the last hour (that the
 * resource's `safety` counts) and those a poll's changes would do may not pass the thresholds. A poll applies
 * its changes in slices small enough that even the most they could do stays within the thresholds; once the
 * room left is too small for that, the rest is simulated first, and the changes whose operations would pass
 * a threshold are held (not applied, the position kept) until an operator approves or rejects them.
 */
import { randomUUID } from 'node:crypto';
import { addGuarded, anyGuarded, changesWithinRoom, countGuarded, countItem, HOLD_KEPT_FOR_MS, exceededLimits, guardedCountsOf, guardedKinds, limitsActive, noGuardedCounts, safetyLimits, type GuardedCounts, type SafetyLimits } from '../../model';
import type { StoredResource, StoredSimulationItem } from '../../repository/repository';
import type { ResourceChange } from '../../schema/objects';
import { withConcurrency } from '../../support/concurrency';
import { countingConnectors } from '../../provisioning';
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

/** The thresholds a poll is held to, and the hour's operations so far. */
export interface PollGate {
  limits: SafetyLimits;
  window: GuardedCounts;
  /** The most operations of one kind a change could do: one per object type. */
  perChange: number;
  /** An operator approved what was held: everything is applied, the hour starts anew. */
  approved: boolean;
}

export interface PollGuard {
  /** The changes to apply now. */
  apply: ResourceChange[];
  /** Changes held, as simulation items (with the change), when applying them would pass a threshold. */
  held: Array<Omit<StoredSimulationItem, 'simulationId'>>;
  reasons: string[];
}

const hourAgo = (now: string) => new Date(Date.parse(now) - HOUR_MS).toISOString();

/** The resource's thresholds for a poll; null without thresholds. */
export async function pollGate(deps: SyncDeps, resource: StoredResource, options: { approved?: boolean }): Promise<PollGate | null> {
  const total = Object.values(resource.safety ?? {}).some((t) => typeof t === 'string' && t.endsWith('%')) ? await deps.repo.shadows.countLive(resource.oid) : 0;
  const limits = safetyLimits(resource.safety, undefined, total);
  if (!limitsActive(limits)) return null;
  if (options.approved) {
    await deps.repo.liveSync.clearGuarded(resource.oid);
    return { limits, window: noGuardedCounts(), perChange: 1, approved: true };
  }
  const window = (await deps.repo.liveSync.guardedSince(resource.oid, hourAgo(nowOf(deps)))).reduce((sum, g) => addGuarded(sum, g), noGuardedCounts());
  const objectTypes = (await deps.repo.config.recentSnapshot()).resources.reduce((n, r) => n + r.schemaHandling.objectType.length, 0);
  return { limits, window, perChange: Math.max(1, objectTypes), approved: false };
}

/**
 * How many of the next changes may be applied without simulating: even at the most they could do, they
 * stay within the thresholds with the hour's operations and those the poll did (`done`).
 */
export function changesWithinGate(gate: PollGate, done: GuardedCounts): number {
  return gate.approved ? Infinity : changesWithinRoom(gate.limits, addGuarded({ ...gate.window }, done), gate.perChange);
}

/**
 * The poll's deps with every account operation the thresholds count added to `done`: those its connectors
 * do, and, for work handed to a workflow (a user's deletion or provisioning, an account's operation, a
 * change that failed here), the most it could do, as it happens outside the poll's sight.
 */
export function countingDeps(deps: SyncDeps, gate: PollGate, done: GuardedCounts): SyncDeps {
  const handed = () => {
    for (const k of guardedKinds) if (gate.limits[k] !== null) done[k] += gate.perChange;
  };
  const counted =
    <A extends unknown[], R>(request: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      handed();
      return request(...args);
    };
  const { workflows } = deps;
  return {
    ...deps,
    connectors: countingConnectors(deps, (operation) => countGuarded(done, operation)),
    workflows: {
      ...workflows,
      requestUserDeletion: counted(workflows.requestUserDeletion.bind(workflows)),
      requestUserProvisioning: counted(workflows.requestUserProvisioning.bind(workflows)),
      requestRoleProvisioning: counted(workflows.requestRoleProvisioning.bind(workflows)),
      requestAccountProvisioning: counted(workflows.requestAccountProvisioning.bind(workflows)),
      reportChange: counted(workflows.reportChange.bind(workflows)),
      requestActivationTimer: workflows.requestActivationTimer.bind(workflows),
      requestResourceRun: workflows.requestResourceRun.bind(workflows),
      isWorkflowOpen: workflows.isWorkflowOpen.bind(workflows),
    },
  };
}

/**
 * The changes past the room: simulated, and those whose operations would pass a threshold (with what the
 * hour and the poll did) are held; the others may be applied.
 */
export async function guardChanges(deps: SyncDeps, gate: PollGate, done: GuardedCounts, changes: readonly ResourceChange[], options: { workflowId?: string }): Promise<PollGuard> {
  const simulated = new Map<ResourceChange, { item: Awaited<ReturnType<typeof simulateChange>>; counts: GuardedCounts }>();
  await withConcurrency(changes, SIMULATION_WIDTH, async (change) => {
    const item = await simulateChange(deps, change, { workflowId: options.workflowId });
    simulated.set(change, { item, counts: guardedCountsOf(gate.limits, item.accounts) });
  });
  const guarded = changes.filter((c) => anyGuarded(simulated.get(c)!.counts));
  const wouldDo = guarded.reduce((sum, c) => addGuarded(sum, simulated.get(c)!.counts), addGuarded({ ...gate.window }, done));
  const reasons = exceededLimits(gate.limits, wouldDo).map((r) => `${r} in an hour`);
  if (reasons.length === 0) return { apply: [...changes], held: [], reasons: [] };
  return {
    apply: changes.filter((c) => !guarded.includes(c)),
    held: guarded.map((change, i) => ({ ...simulated.get(change)!.item, key: `h/${String(i).padStart(6, '0')}`, held: { change } })),
    reasons,
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
export async function recordGuardedDone(deps: SyncDeps, resource: StoredResource, gate: PollGate | null, done: GuardedCounts): Promise<void> {
  if (!gate || !guardedKinds.some((k) => gate.limits[k] !== null && done[k] > 0)) return;
  const now = nowOf(deps);
  await deps.repo.liveSync.recordGuarded(resource.oid, { at: now, ...done }, hourAgo(now));
}
