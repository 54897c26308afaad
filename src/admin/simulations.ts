/**
 * Simulations from the CLI and the API: a simulated reconciliation or import started, and a
 * simulation's counts and per-object results shown a page at a time.
 */
import { randomUUID } from 'node:crypto';
import { simulationCounts, type SimulationCounts } from '../model';
import type { SimulationDoc, StoredSimulationItem } from '../repository/repository';
import type { Duration } from '../schema/config';
import type { SimulationKind } from '../schema/api';
import type { RunType } from '../schema/workflow-inputs';
import type { Services } from '../runtime/services';
import { searchAttributes, workflowIds } from '../workflows/workflow-ids';
import { appliedResource, runWorkflowTypes, type StartedRun } from './resource-runs';

export class SimulationNotFoundError extends Error {
  override readonly name = 'SimulationNotFoundError';
}

/** Starts a simulated run: it may go on beside the resource's real run and other simulations. */
export async function startSimulatedRun(
  services: Services,
  input: { type: RunType; resource: string; pageSize?: number; buckets?: number; keepFor?: Duration },
): Promise<StartedRun & { simulation: true }> {
  const resource = await appliedResource(services, input.resource);
  const workflowId = workflowIds.simulatedRun(input.type, resource.oid, randomUUID().slice(0, 8));
  await services.client.workflow.start(runWorkflowTypes[input.type], {
    taskQueue: services.settings.TALLY_TASK_QUEUE,
    workflowId,
    args: [
      {
        resource: resource.oid,
        simulate: true,
        ...(input.pageSize ? { pageSize: input.pageSize } : {}),
        ...(input.buckets ? { buckets: input.buckets } : {}),
        ...(input.keepFor !== undefined ? { keepFor: input.keepFor } : {}),
      },
    ],
    typedSearchAttributes: [
      { key: searchAttributes.resource, value: resource.oid },
      { key: searchAttributes.state, value: 'running' },
    ],
  });
  return { workflowId, joined: false, resourceOid: resource.oid, resourceName: resource.name, simulation: true };
}

export interface SimulationView {
  id: string;
  type: SimulationDoc['type'];
  resource?: string;
  workflowId: string;
  state: SimulationDoc['state'];
  phase: string;
  startedAt: string;
  finishedAt?: string;
  /** Objects the resource holds, for progress while it runs. */
  total: number | null;
  counts: SimulationCounts;
  message?: string;
  expiresAt: string;
  /** A page of the per-object results. */
  items: StoredSimulationItem[];
  /** Where the next page starts (`after`), when there is one. */
  next?: string;
}

/** The simulation (by its id or its workflow's), its counts and a page of its per-object results. */
export async function showSimulation(services: Pick<Services, 'repo'>, ref: string, page: { only?: SimulationKind; after?: string; limit: number }): Promise<SimulationView> {
  const simulation = await services.repo.simulations.get(ref);
  if (!simulation) throw new SimulationNotFoundError(`no simulation '${ref}' (it may have expired; a simulated run says its id when it starts)`);
  const items = page.limit > 0 ? await services.repo.simulations.items(simulation.id, { ...page, limit: page.limit + 1 }) : [];
  const more = items.length > page.limit;
  const shown = items.slice(0, page.limit);
  return {
    id: simulation.id,
    type: simulation.type,
    ...(simulation.resourceName ? { resource: simulation.resourceName } : {}),
    workflowId: simulation.workflowId,
    state: simulation.state,
    phase: simulation.phase,
    startedAt: simulation.startedAt,
    ...(simulation.finishedAt ? { finishedAt: simulation.finishedAt } : {}),
    total: simulation.total,
    counts: simulationCounts(simulation.stats),
    ...(simulation.message ? { message: simulation.message } : {}),
    expiresAt: simulation.expireAt.toISOString(),
    items: shown.map(({ simulationId: _s, ...item }) => item as StoredSimulationItem),
    ...(more ? { next: shown[shown.length - 1].key } : {}),
  };
}

/** The counts as lines for people: what would be added, modified, deleted, and the situation transitions. */
export function formatSimulationCounts(counts: SimulationCounts): string[] {
  const lines = [
    `objects: ${counts.objects} looked at, ${counts.unchanged} unchanged, ${counts.errors} errors`,
    `users: ${counts.usersAdded} added, ${counts.usersModified} modified, ${counts.usersDeleted} deleted`,
    `accounts: ${counts.accountsAdded} added, ${counts.accountsModified} modified, ${counts.accountsDeleted} deleted, ${counts.accountsDisabled} disabled, ${counts.accountsEnabled} enabled`,
  ];
  const transitions = Object.entries(counts.transitions).sort((a, b) => b[1] - a[1]);
  if (transitions.length > 0) lines.push('situations:', ...transitions.map(([t, n]) => `  ${t}: ${n}`));
  return lines;
}

/** One item as lines for people. */
export function formatSimulationItem(item: StoredSimulationItem): string[] {
  const situation = item.situation ? ` (${item.situation.from ?? 'none'} -> ${item.situation.to ?? 'none'})` : '';
  const lines = [`${item.resource ? `${item.resource}: ` : ''}${item.object}${situation}${item.reaction.length ? `: ${item.reaction.join('; ')}` : ''}`];
  for (const user of item.users) {
    lines.push(`  user ${user.name}: ${user.change}${user.deltas.length ? ` ${user.deltas.map(formatDelta).join(', ')}` : ''}`);
  }
  for (const account of item.accounts) {
    const what = account.attributes
      ? ` ${Object.entries(account.attributes).map(([k, v]) => `${k}=${v.join('|')}`).join(', ')}`
      : account.deltas?.length
        ? ` ${account.deltas.map(formatDelta).join(', ')}`
        : '';
    lines.push(`  ${account.operation} ${account.resource} account ${account.account}${what}`);
  }
  if (item.error) lines.push(`  error: ${item.error}`);
  return lines;
}

function formatDelta(d: { path: string; replace?: unknown[]; add?: unknown[]; delete?: unknown[] }): string {
  const parts = [d.replace ? `= ${d.replace.join('|') || '(none)'}` : '', d.add?.length ? `+ ${d.add.join('|')}` : '', d.delete?.length ? `- ${d.delete.join('|')}` : ''];
  return `${d.path} ${parts.filter(Boolean).join(' ')}`;
}
