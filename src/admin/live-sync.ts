/**
 * Live sync from the CLI, the API and `tally apply`: start (or find running), pause, resume, stop, status.
 * The workflow that holds a resource's live sync is found through its sync token, whatever id it was
 * started with (the Temporal UI asks for one).
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Services } from '../runtime/services';
import { queries, searchAttributes, signals, workflowIds, type LiveSyncStatus } from '../workflows/workflow-ids';
import { UnknownResourceError } from './resource-runs';

export interface LiveSyncStart {
  workflowId: string;
  /** It was running already. */
  running: boolean;
  resourceOid: string;
  resourceName: string;
}

async function resourceOf(services: Services, ref: string) {
  const resource = await services.repo.resource(ref);
  if (!resource) throw new UnknownResourceError(`no resource '${ref}' (tally apply it first)`);
  return resource;
}

/**
 * The id of the workflow running the resource's live sync, or null: the one this repository's sync token
 * names (a live sync that started a moment ago and hasn't claimed it yet is met by its workflow id).
 */
async function runningLiveSync(services: Services, resourceOid: string): Promise<{ workflowId: string | null; token: string | null }> {
  const stored = await services.repo.syncToken(resourceOid);
  const holder = stored?.workflowId;
  return { workflowId: holder && (await services.workflows.isWorkflowOpen(holder)) ? holder : null, token: stored?.token ?? null };
}

export async function startLiveSync(services: Services, ref: string, options: { intervalMs?: number } = {}): Promise<LiveSyncStart> {
  const resource = await resourceOf(services, ref);
  const found = { resourceOid: resource.oid, resourceName: resource.name };
  const running = (await runningLiveSync(services, resource.oid)).workflowId;
  if (running) return { workflowId: running, running: true, ...found };
  const workflowId = workflowIds.liveSync(resource.oid);
  try {
    await services.client.workflow.start('liveSync', {
      taskQueue: services.settings.TALLY_TASK_QUEUE,
      workflowId,
      args: [{ resource: resource.oid, ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}) }],
      typedSearchAttributes: [
        { key: searchAttributes.resource, value: resource.oid },
        { key: searchAttributes.state, value: 'running' },
      ],
    });
  } catch (e) {
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
    // Started a moment ago by someone else, before it claimed the resource; unless it isn't this Tally's.
    const { taskQueue } = await services.client.workflow.getHandle(workflowId).describe();
    if (taskQueue !== services.settings.TALLY_TASK_QUEUE) {
      throw new Error(
        `workflow ${workflowId} runs on task queue ${taskQueue}, not on this Tally's (${services.settings.TALLY_TASK_QUEUE}): another Tally in namespace ${services.settings.TEMPORAL_NAMESPACE} live-syncs ${resource.name}; stop it there, or give each Tally its own namespace`,
      );
    }
    return { workflowId, running: true, ...found };
  }
  return { workflowId, running: false, ...found };
}

/** Pauses, resumes or stops the resource's live sync; false when none runs. */
export async function signalLiveSync(services: Services, ref: string, action: 'pause' | 'resume' | 'stop'): Promise<{ workflowId: string | null; resourceName: string }> {
  const resource = await resourceOf(services, ref);
  const { workflowId } = await runningLiveSync(services, resource.oid);
  if (workflowId) {
    const signal = action === 'pause' ? signals.pauseLiveSync : action === 'resume' ? signals.resumeLiveSync : signals.stopLiveSync;
    await services.client.workflow.getHandle(workflowId).signal(signal);
  }
  return { workflowId, resourceName: resource.name };
}

export interface LiveSyncListing {
  resource: string;
  resourceOid: string;
  workflowId: string | null;
  /** Null when no live sync runs. */
  status: LiveSyncStatus | null;
  token: string | null;
}

/** Every resource's live sync (or the one asked for). */
export async function liveSyncStatuses(services: Services, ref?: string): Promise<LiveSyncListing[]> {
  const resources = ref ? [await resourceOf(services, ref)] : (await services.repo.configSnapshot()).resources;
  return Promise.all(
    resources.map(async (resource) => {
      const { workflowId, token } = await runningLiveSync(services, resource.oid);
      const status = workflowId ? await services.client.workflow.getHandle(workflowId).query(queries.liveSyncStatus).catch(() => null) : null;
      return { resource: resource.name, resourceOid: resource.oid, workflowId, status, token };
    }),
  );
}

/** `tally apply`: every resource whose YAML asks for live sync has it running. */
export async function startConfiguredLiveSyncs(services: Services): Promise<LiveSyncStart[]> {
  const { resources } = await services.repo.configSnapshot();
  const started: LiveSyncStart[] = [];
  for (const resource of resources.filter((r) => r.liveSync)) started.push(await startLiveSync(services, resource.oid));
  return started;
}
