/**
 * Starting and following reconciliation and import runs from the CLI and the API. A second start while
 * a run of the same kind is going joins it; a start while the other kind runs is refused, saying which.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { RunDoc, StoredResource } from '../repository/repository';
import type { RunType, SafetyOverride } from '../schema/workflow-inputs';
import type { Services } from '../runtime/services';
import { queries, type RunProgress } from '../workflows/workflow-ids';
import type { RunSummary } from '../workflows/resource-run';
import { RunAlreadyRunningError } from '../sync/reconciliation/runs';
import { rootCause } from './root-cause';

export const runWorkflowTypes: Record<RunType, string> = { recon: 'reconcileResource', import: 'importFromResource' };

export class UnknownResourceError extends Error {
  override readonly name = 'UnknownResourceError';
}

/** An operator's resource, by oid or name; none is an UnknownResourceError ("no resource 'X' (tally apply it first)"). */
export async function appliedResource(services: Pick<Services, 'repo'>, ref: string): Promise<StoredResource> {
  const resource = await services.repo.config.resource(ref);
  if (!resource) throw new UnknownResourceError(`no resource '${ref}' (tally apply it first)`);
  return resource;
}

export interface StartedRun {
  workflowId: string;
  /** True when a run of this kind was already going on the resource: this is that run. */
  joined: boolean;
  resourceOid: string;
  resourceName: string;
}

export async function startResourceRun(
  services: Services,
  input: { type: RunType; resource: string; pageSize?: number; buckets?: number; safety?: SafetyOverride },
): Promise<StartedRun> {
  const resource = await appliedResource(services, input.resource);
  const found = { resourceOid: resource.oid, resourceName: resource.name };
  const running = await services.repo.runs.running(resource.oid);
  if (running && (await services.workflows.isWorkflowOpen(running.workflowId))) {
    if (running.type !== input.type) throw new RunAlreadyRunningError(running);
    return { workflowId: running.workflowId, joined: true, ...found };
  }
  const { workflowId, started } = await services.workflows.requestResourceRun({ type: input.type, resourceOid: resource.oid, pageSize: input.pageSize, buckets: input.buckets, safety: input.safety });
  return { workflowId, joined: !started, ...found };
}

const runTypes = new Set(Object.values(runWorkflowTypes));

/**
 * The run's progress as its workflow reports it; null when the workflow isn't there (yet, or any more), or
 * is no run of this Tally: a query waits for a worker of the workflow's task queue, which another Tally's
 * may not have any more.
 */
export async function runProgress(services: Services, workflowId: string): Promise<RunProgress | null> {
  const handle = services.client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch(() => null);
  if (!description || !runTypes.has(description.type) || description.taskQueue !== services.settings.TALLY_TASK_QUEUE) return null;
  return handle.query(queries.progress).catch(() => null);
}

/** Objects a run sees per second so far, and the seconds until it has seen all it expects (null when unknown or past the objects phase). */
export function runPace(p: Pick<RunProgress, 'startedAt' | 'seen' | 'total' | 'phase'>, nowMs: number): { rate: number; total: number | null; etaSeconds: number | null } {
  const elapsed = Math.max(0.001, (nowMs - Date.parse(p.startedAt)) / 1000);
  const rate = p.seen / elapsed;
  const total = p.total && p.total >= p.seen ? p.total : null;
  return { rate, total, etaSeconds: total && rate > 0 && p.phase === 'objects' ? (total - p.seen) / rate : null };
}

/** Waits for the run to end, handing its progress to `onProgress` every `intervalMs`. */
export async function waitForRun(
  services: Services,
  workflowId: string,
  onProgress: (progress: RunProgress) => void,
  intervalMs = 1000,
): Promise<RunSummary> {
  const result = services.client.workflow.getHandle(workflowId).result() as Promise<RunSummary>;
  let finished = false;
  void result.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    const progress = await runProgress(services, workflowId);
    if (progress && !finished) onProgress(progress);
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
  }
  try {
    return await result;
  } catch (e) {
    if (e instanceof WorkflowFailedError) throw new Error(`${workflowId} failed: ${rootCause(e)}`);
    throw e;
  }
}

export async function listRuns(services: Services, options: { resource?: string; limit?: number }): Promise<RunDoc[]> {
  let resourceRef: string | undefined;
  if (options.resource) {
    const resource = await services.repo.config.resource(options.resource);
    if (!resource) throw new UnknownResourceError(`no resource '${options.resource}'`);
    resourceRef = resource.oid;
  }
  return services.repo.runs.list({ resourceRef, limit: options.limit ?? 20 });
}
