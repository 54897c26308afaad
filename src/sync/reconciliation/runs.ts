/**
 * A run's beginning and end in the repository. One reconciliation or import runs per resource at a time:
 * the `runs` collection holds at most one running run per resource, whatever workflow id started it.
 */
import type { RunDoc, RunError, RunStats, StoredResource } from '../../repository/repository';
import type { RunType } from '../../schema/workflow-inputs';
import type { SyncDeps } from '../sync-deps';
import { resourceOf } from '../../provisioning';
import type { RunScope } from './run-scope';
import { safetyLimits, type SafetyLimits } from '../../model';
import type { SafetyConfig } from '../../schema/config';

export class RunAlreadyRunningError extends Error {
  override readonly name = 'RunAlreadyRunningError';
  constructor(readonly running: Pick<RunDoc, 'type' | 'workflowId' | 'resourceName' | 'startedAt'>) {
    super(
      `${running.type === 'recon' ? 'a reconciliation' : 'an import'} of ${running.resourceName} is already running ` +
        `(workflow ${running.workflowId}, started ${running.startedAt}): follow that one, or wait for it to finish`,
    );
  }
}

export interface BegunRun {
  runId: string;
  resourceOid: string;
  resourceName: string;
  /** Live shadows of the resource: how many objects the run expects to see. */
  total: number;
  settings: { pageSize?: number; buckets?: number };
  /** The run's thresholds in numbers (the resource's, with the run's own over them); absent for a simulation. */
  safety?: SafetyLimits;
}

const typeNames: Record<RunType, string> = { recon: 'reconciliation', import: 'import' };

/**
 * Stores the run as the resource's running one. A run whose workflow is gone (terminated, say) no longer
 * blocks the resource: it is marked abandoned and this one starts.
 */
export async function beginRun(
  deps: SyncDeps,
  input: { type: RunType; resource: string; runId: string; workflowId: string; startedAt: string; safety?: Partial<SafetyConfig> },
): Promise<BegunRun> {
  // The run's pages take the configuration as last looked at: look now, so none is older than the run.
  await deps.repo.config.snapshot();
  const resource = await resourceOf(deps, input.resource);
  const run: RunDoc = {
    oid: input.runId,
    type: input.type,
    resourceRef: resource.oid,
    resourceName: resource.name,
    workflowId: input.workflowId,
    startedAt: input.startedAt,
    state: 'running',
    phase: 'operations',
    stats: {},
    errors: [],
    version: 1,
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    const started = await deps.repo.runs.start(run);
    if (started.started || started.running.workflowId === input.workflowId) break;
    if (await deps.workflows.isWorkflowOpen(started.running.workflowId)) throw new RunAlreadyRunningError(started.running);
    await deps.repo.runs.end(started.running.oid, {
      state: 'abandoned',
      finishedAt: input.startedAt,
      message: `its workflow ${started.running.workflowId} was no longer running when ${typeNames[input.type]} ${input.workflowId} began`,
    });
  }
  const begun = await begunRun(deps, resource, input.runId);
  return { ...begun, safety: safetyLimits(resource.safety, input.safety, begun.total) };
}

/** What a run (or a simulated one) knows of its resource when it begins. */
async function begunRun(deps: SyncDeps, resource: StoredResource, runId: string): Promise<BegunRun> {
  return {
    runId,
    resourceOid: resource.oid,
    resourceName: resource.name,
    total: await deps.repo.shadows.countLive(resource.oid),
    settings: { pageSize: resource.reconciliation?.pageSize, buckets: resource.reconciliation?.buckets },
  };
}

/**
 * Begins a simulated run: its simulation's document. A simulation takes no resource's running slot (it
 * writes nothing), so it may go on beside a real run.
 */
export async function beginSimulation(
  deps: SyncDeps,
  input: { type: RunType; resource: string; runId: string; workflowId: string; startedAt: string; keepForMs: number },
): Promise<BegunRun & { expireAt: string }> {
  const resource = await resourceOf(deps, input.resource);
  const expireAt = new Date(Date.parse(input.startedAt) + input.keepForMs);
  const begun = await begunRun(deps, resource, input.runId);
  await deps.repo.simulations.begin({
    id: input.runId,
    type: input.type,
    resourceRef: resource.oid,
    resourceName: resource.name,
    workflowId: input.workflowId,
    state: 'running',
    phase: 'operations',
    startedAt: input.startedAt,
    stats: {},
    total: begun.total,
    expireAt,
  });
  return { ...begun, expireAt: expireAt.toISOString() };
}

export async function recordRunProgress(deps: SyncDeps, scope: Pick<RunScope, 'runId' | 'simulation'>, progress: { phase: string; stats: RunStats; errors?: RunError[] }): Promise<void> {
  if (scope.simulation) await deps.repo.simulations.recordProgress(scope.simulation.id, { phase: progress.phase, stats: progress.stats });
  else await deps.repo.runs.recordProgress(scope.runId, progress);
}

export async function endRun(
  deps: SyncDeps,
  input: { runId: string; state: 'finished' | 'failed'; stats: RunStats; message?: string; errors?: RunError[]; finishedAt: string; simulation?: boolean },
): Promise<void> {
  if (input.simulation) {
    await deps.repo.simulations.end(input.runId, { state: input.state, finishedAt: input.finishedAt, stats: input.stats, ...(input.message ? { message: input.message } : {}) });
    return;
  }
  await deps.repo.runs.end(input.runId, { state: input.state, finishedAt: input.finishedAt, stats: input.stats, message: input.message, errors: input.errors });
}
