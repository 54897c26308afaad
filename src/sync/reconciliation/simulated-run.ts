/**
 * A run's objects go through the synchronization routine; in a simulated run the routine runs over the
 * sandbox and what it would do is recorded as the simulation's items instead of being done.
 */
import { anyGuarded, countItem, HOLD_KEPT_FOR_MS, guardedCountsOf, guardedKinds, kindsOf, limitsActive, type SimulationItem } from '../../model';
import type { StoredSimulationItem } from '../../repository/repository';
import type { ResourceChange } from '../../schema/objects';
import { simulateChange, type SimulatedStep } from '../simulation/simulated-change';
import { synchronizeChange } from '../synchronize-change';
import type { SyncDeps } from '../sync-deps';
import { count, type RunPieceResult, type RunScope } from './run-scope';

/** Items of a piece of a simulated run, each under its key (the same object, the same key: a piece done again stores it once). */
export type ItemSink = Array<Omit<StoredSimulationItem, 'simulationId'>>;

/**
 * The routine for one object of the run: done, or (simulated run) simulated into `sink` under `key`.
 * Under thresholds the object is simulated first: one whose operations a threshold counts is held (into
 * `sink`, with the change to synchronize when the run goes on), and nothing of it is done now.
 */
export async function runRoutine(deps: SyncDeps, scope: RunScope, change: ResourceChange, key: string, sink: ItemSink): Promise<{ situation: string | null; held?: boolean }> {
  if (!scope.simulation && !limitsActive(scope.safety)) return synchronizeChange(deps, change, scope.workflowId);
  const item = await simulateChange(deps, change, { workflowId: scope.workflowId });
  if (scope.simulation) {
    sink.push({ ...item, key });
    return { situation: item.situation?.from ?? null };
  }
  if (!anyGuarded(guardedCountsOf(scope.safety!, item.accounts))) return synchronizeChange(deps, change, scope.workflowId);
  sink.push({ ...item, key, held: { change: heldChange(change) } });
  return { situation: item.situation?.from ?? null, held: true };
}

/** The change as it is synchronized later: the object is read again then. */
function heldChange(change: ResourceChange): ResourceChange {
  const { currentObject, ...rest } = change;
  return {
    ...rest,
    primaryIdentifier: change.primaryIdentifier ?? currentObject?.primaryIdentifier,
    secondaryIdentifier: change.secondaryIdentifier ?? currentObject?.secondaryIdentifier,
  };
}

/** A step that is not about one object (the roles' entitlements, pending operations) as items, one per account operation. */
export function stepItems(step: SimulatedStep<unknown>, object: string, key: string): ItemSink {
  const base = { object, reaction: [], situation: undefined };
  const items: Array<Omit<SimulationItem, 'kinds'> & { key: string }> = step.accounts.map((account, i) => ({ ...base, object: `${object}: ${account.account}`, users: [], accounts: [account], key: `${key}/${i}` }));
  if (step.users.length > 0 || step.error) items.push({ ...base, users: step.users, accounts: [], ...(step.error ? { error: step.error } : {}), key: `${key}/users` });
  return items.map(({ situation: _s, ...item }) => ({ ...item, kinds: kindsOf(item) }));
}

/**
 * Counts the piece's items into its stats and stores those that change something; a real run stores the
 * objects it held (under its own id), counted by what they would do.
 */
export async function recordItems(deps: SyncDeps, scope: Pick<RunScope, 'simulation' | 'runId' | 'safety'>, sink: ItemSink, result: RunPieceResult): Promise<void> {
  if (scope.simulation) {
    for (const item of sink) countItem(result.stats, item);
    await deps.repo.simulations.addItems(scope.simulation.id, new Date(scope.simulation.expireAt), sink.filter((item) => item.kinds.length > 0));
    return;
  }
  const held = sink.filter((item) => item.held);
  if (held.length === 0) return;
  for (const item of held) {
    const counts = guardedCountsOf(scope.safety!, item.accounts);
    count(result.stats, 'held');
    for (const kind of guardedKinds) if (counts[kind] > 0) count(result.stats, heldStat(kind), counts[kind]);
  }
  await deps.repo.simulations.addItems(scope.runId, new Date(Date.now() + HOLD_KEPT_FOR_MS), held);
}

/** The run's count of held operations of a kind (`heldDeletes`...). */
export const heldStat = (kind: (typeof guardedKinds)[number]) => `held${kind[0].toUpperCase()}${kind.slice(1)}`;
