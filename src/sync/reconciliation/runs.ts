/**
 * A run's beginning and end in the repository. One reconciliation or import runs per resource at a time:
 * the `runs` collection holds at most one running run per resource, whatever workflow id started it.
 */
import type { RunDoc, RunError, RunStats } from '../../repository/repository';
import type { RunType } from '../../schema/workflow-inputs';
import type { SyncDeps } from '../sync-deps';
import { resourceOf } from '../../provisioning';

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
}

const typeNames: Record<RunType, string> = { recon: 'reconciliation', import: 'import' };

/**
 * Stores the run as the resource's running one. A run whose workflow is gone (terminated, say) no longer
 * blocks the resource: it is marked abandoned and this one starts.
 */
export async function beginRun(
  deps: SyncDeps,
  input: { type: RunType; resource: string; runId: string; workflowId: string; startedAt: string },
): Promise<BegunRun> {
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
  return {
    runId: input.runId,
    resourceOid: resource.oid,
    resourceName: resource.name,
    total: await deps.repo.shadows.countLive(resource.oid),
    settings: { pageSize: resource.reconciliation?.pageSize, buckets: resource.reconciliation?.buckets },
  };
}

export async function recordRunProgress(deps: SyncDeps, runId: string, progress: { phase: string; stats: RunStats; errors?: RunError[] }): Promise<void> {
  await deps.repo.runs.recordProgress(runId, progress);
}

export async function endRun(
  deps: SyncDeps,
  input: { runId: string; state: 'finished' | 'failed'; stats: RunStats; message?: string; errors?: RunError[]; finishedAt: string },
): Promise<void> {
  await deps.repo.runs.end(input.runId, { state: input.state, finishedAt: input.finishedAt, stats: input.stats, message: input.message, errors: input.errors });
}
