/** One live sync per resource: the workflow that begins it holds the resource's sync token until it ends. */
import { durationToMs } from '../../schema/config';
import type { SyncDeps } from '../sync-deps';
import { resourceOf } from '../../provisioning';

export class LiveSyncAlreadyRunningError extends Error {
  override readonly name = 'LiveSyncAlreadyRunningError';
  constructor(
    readonly resourceName: string,
    readonly workflowId: string,
  ) {
    super(`live sync of ${resourceName} already runs as workflow ${workflowId}: stop that one first (tally livesync stop ${resourceName})`);
  }
}

export interface BegunLiveSync {
  resourceOid: string;
  resourceName: string;
  intervalMs: number;
  batchSize: number;
}

export async function beginLiveSync(deps: SyncDeps, input: { resource: string; workflowId: string }): Promise<BegunLiveSync> {
  const resource = await resourceOf(deps, input.resource);
  const holder = await deps.repo.liveSync.claim(resource.oid, input.workflowId, { takeOver: false });
  if (holder) {
    if (await deps.workflows.isWorkflowOpen(holder)) throw new LiveSyncAlreadyRunningError(resource.name, holder);
    await deps.repo.liveSync.claim(resource.oid, input.workflowId, { takeOver: true });
  }
  // Whoever started it (an operator's start, the Temporal UI), live sync runs now: an earlier stop is over.
  await deps.repo.liveSync.recordDecision(resource.oid, null);
  return {
    resourceOid: resource.oid,
    resourceName: resource.name,
    intervalMs: durationToMs(resource.liveSync?.interval ?? '1s'),
    batchSize: resource.liveSync?.batchSize ?? 1000,
  };
}
