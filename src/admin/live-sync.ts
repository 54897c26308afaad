/**
 * Live sync from the CLI, the API and `tally apply`: start (or find running), pause, resume, stop, status.
 * The workflow that holds a resource's live sync is found through its sync token, whatever id it was
 * started with (the Temporal UI asks for one). An operator's stop or pause is recorded on the sync token
 * and kept until an operator's start or resume: nothing else (`tally apply`, change events) starts it again.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { HeldChangeState, LiveSyncDecision } from '../repository/repository';
import type { Channel } from '../schema/config';
import type { Services } from '../runtime/services';
import { queries, searchAttributes, signals, workflowIds, type LiveSyncStatus } from '../workflows/workflow-ids';
import { liveSyncUnavailable } from '../model/resources';
import { appliedResource } from './resource-runs';

/** Live sync asked of a resource that has no changelog (SCIM): its message says what to do instead. */
export class NoChangelogError extends Error {
  override readonly name = 'NoChangelogError';
}

export interface LiveSyncStart {
  workflowId: string;
  /** It was running already. */
  running: boolean;
  /** It was paused by an operator and is resumed. */
  resumed?: boolean;
  resourceOid: string;
  resourceName: string;
}

/**
 * The id of the workflow running the resource's live sync, or null: the one this repository's sync token
 * names (a live sync that started a moment ago and hasn't claimed it yet is met by its workflow id).
 */
async function runningLiveSync(
  services: Services,
  resourceOid: string,
): Promise<{ workflowId: string | null; token: string | null; operatorDecision: LiveSyncDecision | null }> {
  const stored = await services.repo.liveSync.token(resourceOid);
  const holder = stored?.workflowId;
  return {
    workflowId: holder && (await services.workflows.isWorkflowOpen(holder)) ? holder : null,
    token: stored?.token ?? null,
    operatorDecision: stored?.operatorDecision ?? null,
  };
}

/** `stopped by operator at <when> (<channel>)`: why live sync doesn't run, or is paused. */
export function describeDecision(decision: LiveSyncDecision): string {
  return `${decision.state} by operator at ${decision.at} (${decision.channel})`;
}

/**
 * An operator's start: clears a stop or pause an operator recorded, resumes live sync paused by one, or
 * starts it.
 */
export async function startLiveSync(services: Services, ref: string, options: { intervalMs?: number } = {}): Promise<LiveSyncStart> {
  const resource = await appliedResource(services, ref);
  const unavailable = liveSyncUnavailable(resource);
  if (unavailable) throw new NoChangelogError(unavailable);
  const { workflowId: running, operatorDecision } = await runningLiveSync(services, resource.oid);
  const resumed = !!running && operatorDecision?.state === 'paused';
  if (resumed) await services.client.workflow.getHandle(running).signal(signals.resumeLiveSync);
  if (operatorDecision) await services.repo.liveSync.recordDecision(resource.oid, null);
  if (!running) return startWorkflow(services, resource, options);
  return { workflowId: running, running: true, ...(resumed ? { resumed } : {}), resourceOid: resource.oid, resourceName: resource.name };
}

async function startWorkflow(services: Services, resource: { oid: string; name: string }, options: { intervalMs?: number }): Promise<LiveSyncStart> {
  const found = { resourceOid: resource.oid, resourceName: resource.name };
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

/**
 * Pauses, resumes or stops the resource's live sync (workflowId null when none runs). A stop or pause is
 * the operator's decision, recorded before the signal so it holds even if the signal is lost with its
 * sender; a resume clears it.
 */
export async function signalLiveSync(
  services: Services,
  ref: string,
  action: 'pause' | 'resume' | 'stop',
  channel: Channel = 'user',
): Promise<{ workflowId: string | null; resourceName: string }> {
  const resource = await appliedResource(services, ref);
  const { workflowId } = await runningLiveSync(services, resource.oid);
  if (workflowId) {
    if (action !== 'resume') await services.repo.liveSync.recordDecision(resource.oid, { state: action === 'pause' ? 'paused' : 'stopped', at: new Date().toISOString(), channel });
    const signal = action === 'pause' ? signals.pauseLiveSync : action === 'resume' ? signals.resumeLiveSync : signals.stopLiveSync;
    await services.client.workflow.getHandle(workflowId).signal(signal);
    if (action === 'resume') await services.repo.liveSync.recordDecision(resource.oid, null);
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
  /** An operator's stop or pause, kept until a start or resume. */
  operatorDecision: LiveSyncDecision | null;
  /** The resource's changes processChange is retrying, and those it holds as failed (their objects' later changes queue behind them). */
  heldChanges: Record<HeldChangeState, number>;
}

/** Every resource's live sync (or the one asked for). */
export async function liveSyncStatuses(services: Services, ref?: string): Promise<LiveSyncListing[]> {
  const resources = ref ? [await appliedResource(services, ref)] : (await services.repo.config.snapshot()).resources;
  return Promise.all(
    resources.map(async (resource) => {
      const { workflowId, token, operatorDecision } = await runningLiveSync(services, resource.oid);
      const status = workflowId ? await services.client.workflow.getHandle(workflowId).query(queries.liveSyncStatus).catch(() => null) : null;
      const heldChanges = await services.repo.liveSync.countHeldChanges(resource.oid);
      return { resource: resource.name, resourceOid: resource.oid, workflowId, status, token, operatorDecision, heldChanges };
    }),
  );
}

export interface HeldLiveSync {
  resourceOid: string;
  resourceName: string;
  operatorDecision: LiveSyncDecision;
}

/**
 * Live sync that isn't the operator's own act (`tally apply` of a resource whose `liveSync` is new, change
 * events): started unless it runs, or an operator stopped or paused it (then it is `held`).
 */
export async function startLiveSyncUnlessHeld(services: Services, ref: string): Promise<LiveSyncStart | HeldLiveSync> {
  const resource = await appliedResource(services, ref);
  const { workflowId, operatorDecision } = await runningLiveSync(services, resource.oid);
  if (operatorDecision) return { resourceOid: resource.oid, resourceName: resource.name, operatorDecision };
  if (workflowId) return { workflowId, running: true, resourceOid: resource.oid, resourceName: resource.name };
  return startWorkflow(services, resource, {});
}

/** `tally apply`: live sync of the resources whose `liveSync` that apply added, unless an operator holds it. */
export async function startAppliedLiveSyncs(services: Services, resourceOids: readonly string[]): Promise<{ started: LiveSyncStart[]; held: HeldLiveSync[] }> {
  const started: LiveSyncStart[] = [];
  const held: HeldLiveSync[] = [];
  for (const oid of resourceOids) {
    const outcome = await startLiveSyncUnlessHeld(services, oid);
    if ('operatorDecision' in outcome) held.push(outcome);
    else started.push(outcome);
  }
  return { started, held };
}
