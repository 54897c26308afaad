/** Activities of the liveSync workflow: begin (one per resource), poll the changelog, start a reconciliation, end. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { beginLiveSync, LiveSyncAlreadyRunningError } from '../sync/live-sync/live-sync-claim';
import { pollChangelog } from '../sync/live-sync/changelog-poll';
import type { SyncDeps } from '../sync/sync-deps';
import { changeOfEvent, type ChangeEventInput } from '../schema/workflow-inputs';
import { failFastOnConfiguration } from './failures';

export const liveSyncFailureTypes = { alreadyRunning: 'TallyLiveSyncAlreadyRunning' } as const;

export function createLiveSyncActivities(deps: SyncDeps) {
  return {
    async beginLiveSync(input: { resource: string; workflowId: string }) {
      try {
        return await failFastOnConfiguration(() => beginLiveSync(deps, input));
      } catch (e) {
        if (e instanceof LiveSyncAlreadyRunningError) {
          throw ApplicationFailure.create({ message: e.message, type: liveSyncFailureTypes.alreadyRunning, nonRetryable: true });
        }
        throw e;
      }
    },
    /** Reads the changes since the stored position and applies them (or hands each failed one to its own workflow). */
    async pollChangelog(input: { resourceOid: string; limit: number; approved?: boolean; lingerMs?: number }) {
      return failFastOnConfiguration(() =>
        pollChangelog(deps, input.resourceOid, {
          limit: input.limit,
          workflowId: Context.current().info.workflowExecution?.workflowId,
          ...(input.approved ? { approved: true } : {}),
          ...(input.lingerMs ? { lingerMs: input.lingerMs } : {}),
        }),
      );
    },
    /** The changelog was purged past live sync's position: a reconciliation finds what was missed. */
    async requestReconciliation(input: { resourceOid: string }): Promise<string> {
      return (await deps.workflows.requestResourceRun({ type: 'recon', resourceOid: input.resourceOid })).workflowId;
    },
    /** Change events signalled to the workflow, stored with those the HTTP API takes. */
    async storeChangeEvents(input: { resourceOid: string; events: ChangeEventInput[] }) {
      const receivedAt = new Date().toISOString();
      return deps.repo.liveSync.acceptChangeEvents(
        input.events.map((event) => ({
          resourceRef: input.resourceOid,
          ...(event.eventId ? { eventId: event.eventId } : {}),
          change: changeOfEvent(input.resourceOid, event, 'api'),
          receivedAt,
        })),
      );
    },
    async endLiveSync(input: { resourceOid: string; workflowId: string }) {
      await deps.repo.liveSync.release(input.resourceOid, input.workflowId);
    },
  };
}
