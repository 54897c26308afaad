/**
 * `tally apply --simulate`: what configuration files would do, written nowhere. `applyConfig` itself runs
 * over a sandbox repository (the configuration and users it stores stay in memory), then every
 * recomputation the real apply asks for (a changed role's own projection, each user it stored) is handed
 * to its workflow as the real apply hands it, over the same sandbox, with connectors that record. Only
 * the simulation's document and its items are stored: one item per user (a role's own projection: per role).
 */
import { randomUUID } from 'node:crypto';
import { countItem, kindsOf, SIMULATION_KEPT_FOR_MS, type SimulationStats } from '../model';
import type { StoredSimulationItem } from '../repository/repository';
import { durationToMs, type Duration } from '../schema/config';
import type { Services } from '../runtime/services';
import { emptyOverlay, sandboxRepository, type Overlay } from '../sync/simulation/sandbox-repository';
import { simulateStep, type SimulatedStep } from '../sync/simulation/simulated-change';
import { applyConfig, appliedRecomputes, type AppliedRecompute, type ApplyResult } from './apply-config';

export interface SimulatedApply {
  /** The simulation's id (`tally simulation show <id>`). */
  id: string;
  /** What the apply would store, and the recomputations it would ask for. */
  applied: ApplyResult;
}

export async function simulateApply(services: Pick<Services, 'repo' | 'key' | 'syncDeps'>, paths: string[], options: { keepFor?: Duration } = {}): Promise<SimulatedApply> {
  const { repo } = services;
  const id = `simulate-apply:${randomUUID().slice(0, 8)}`;
  const startedAt = new Date().toISOString();
  const expireAt = new Date(Date.parse(startedAt) + (options.keepFor !== undefined ? durationToMs(options.keepFor) : SIMULATION_KEPT_FOR_MS));
  // No workflow runs a simulated apply: the simulation is known by its own id.
  await repo.simulations.begin({ id, type: 'apply', workflowId: id, state: 'running', phase: 'apply', startedAt, stats: {}, total: null, expireAt });
  const stats: SimulationStats = {};
  const end = (state: 'finished' | 'failed', message?: string) => repo.simulations.end(id, { state, stats, finishedAt: new Date().toISOString(), ...(message ? { message } : {}) });
  try {
    const overlay = emptyOverlay();
    const applied = await applyConfig(sandboxRepository(repo, overlay), services.key, paths);
    const recomputes = appliedRecomputes(applied);
    await repo.simulations.recordProgress(id, { phase: 'recompute', stats, total: recomputes.length });
    for (const [index, recompute] of recomputes.entries()) {
      const item = await simulatedRecompute(services, overlay, recompute, index);
      countItem(stats, item);
      stats.seen = index + 1;
      if (item.kinds.length > 0) await repo.simulations.addItems(id, expireAt, [item]);
      await repo.simulations.recordProgress(id, { phase: 'recompute', stats });
    }
    await end('finished');
    return { id, applied };
  } catch (e) {
    await end('failed', e instanceof Error ? e.message : String(e));
    throw e;
  }
}

/** One recomputation, done over the apply's sandbox (it goes on from what the earlier ones would have written). */
async function simulatedRecompute(
  services: Pick<Services, 'syncDeps'>,
  overlay: Overlay,
  recompute: AppliedRecompute,
  index: number,
): Promise<Omit<StoredSimulationItem, 'simulationId'>> {
  const usersBefore = new Map(overlay.users);
  let step: Pick<SimulatedStep<unknown>, 'users' | 'accounts' | 'error'>;
  try {
    step = await simulateStep(services.syncDeps, (simulated) => recompute.request(simulated.workflows), { overlay });
  } catch (e) {
    // A resource that is down: the real apply's workflow would wait for it.
    step = { users: [], accounts: [], error: e instanceof Error ? e.message : String(e) };
  }
  // A user's item: what the files and his recompute would change on him; a role's: the holders its recompute changed.
  const users = step.users.filter((u) => (recompute.kind === 'User' ? u.oid === recompute.oid : overlay.users.get(u.oid) !== usersBefore.get(u.oid)));
  const name = recompute.kind === 'User' ? overlay.users.get(recompute.oid)?.name : `role ${overlay.config.Role.get(recompute.oid)?.name ?? recompute.oid}`;
  const item = { object: name ?? recompute.oid, reaction: [], users, accounts: step.accounts, ...(step.error ? { error: step.error } : {}) };
  return { ...item, kinds: kindsOf(item), key: String(index).padStart(6, '0') };
}
