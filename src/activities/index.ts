/**
 * Activities: thin adapters, one per step of a workflow, built by a factory that receives their
 * dependencies. Domain failures that retrying can't fix are raised as non-retryable ApplicationFailures
 * with a `type`, so workflows match them by type.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { failFastOnConfiguration, failureTypes } from './failures';
import { ResourceUnreachableError } from '../sync/observe';
import { durationToMs, failedChangePolicy } from '../schema/config';
import type { ResourceChange } from '../schema/objects';
import {
  describeError,
  discoverAccount,
  executeNextPendingOperation,
  getAccount,
  isResourceUp,
  nextPendingOperation,
  resourceOf,
  resumePendingOperations,
  type DiscoveryInput,
} from '../provisioning';
import { synchronizeChange } from '../sync/synchronize-change';
import { holdChange, type HeldChange } from '../sync/held-changes';
import { provisionUser, type ProjectUserInput } from '../sync/projection';
import { provisionRole, type ProvisionRoleInput } from '../sync/role-projection';
import { userDeletionStep, type UserDeletionStepInput } from '../sync/user-deletion';
import type { SyncDeps } from '../sync/sync-deps';
import { createResourceRunActivities } from './resource-runs';
import { createLiveSyncActivities } from './live-sync';
import { createInputResolutionActivities } from './input-resolution';
import { whileHeartbeating } from './heartbeat';

/** This activity across its attempts: a later attempt is one Temporal started after giving the earlier up. */
function currentActivityKey(): string | undefined {
  try {
    const { workflowExecution, activityId } = Context.current().info;
    return workflowExecution ? `${workflowExecution.workflowId}/${workflowExecution.runId}/${activityId}` : undefined;
  } catch {
    return undefined;
  }
}

function currentWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}

/** Executes the shadow's next pending operation if it is still `operationId`. */
export interface AccountOperationInput {
  shadowOid: string;
  operationId: string;
}

/** A resource's retry policy, in milliseconds. */
export interface ResourceRetryPolicy {
  resourceOid: string;
  resourceName: string;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number | null;
  livenessCheckIntervalMs: number;
  /** History events a waiting workflow gathers before it continues as new (absent: the workflow's default, 2000). */
  waitingHistoryEvents?: number;
}

/** Worker-wide options of the activities. */
export interface ActivityOptions {
  /** See TALLY_WAITING_HISTORY_EVENTS. @default 2000 */
  waitingHistoryEvents?: number;
}

/** What a `TallyResourceUnreachable` failure carries: how to wait for the resource, and why. */
export interface ResourceUnreachableDetails extends ResourceRetryPolicy {
  error: string;
}

export function createActivities(deps: SyncDeps, options: ActivityOptions = {}) {
  const retryPolicyOf = async (resourceRef: string): Promise<ResourceRetryPolicy> => {
    const resource = await resourceOf(deps, resourceRef);
    const retry = resource.consistency.retry;
    return {
      resourceOid: resource.oid,
      resourceName: resource.name,
      initialIntervalMs: durationToMs(retry.initialInterval),
      backoffCoefficient: retry.backoffCoefficient,
      maximumIntervalMs: durationToMs(retry.maximumInterval),
      maximumAttempts: retry.maximumAttempts ?? null,
      livenessCheckIntervalMs: durationToMs(resource.consistency.livenessCheckInterval),
      ...(options.waitingHistoryEvents !== undefined ? { waitingHistoryEvents: options.waitingHistoryEvents } : {}),
    };
  };
  /** When each resource's waiting operations were last woken: the ones postponed before are awake already. */
  const lastWake = new Map<string, string>();
  const executeOperation = (input: AccountOperationInput) =>
    whileHeartbeating(() =>
      executeNextPendingOperation(deps, input.shadowOid, { workflowId: currentWorkflowId(), operationId: input.operationId, claimant: currentActivityKey() }),
    );
  return {
    ...createResourceRunActivities(deps),
    ...createLiveSyncActivities(deps),
    ...createInputResolutionActivities(deps),
    /** The whole synchronization routine for one change, including the owner's accounts that can be done now. */
    async synchronizeChange(change: ResourceChange) {
      try {
        return await failFastOnConfiguration(() => synchronizeChange(deps, change, currentWorkflowId()));
      } catch (e) {
        // Configuration and model errors fail fast as they are.
        if (e instanceof ApplicationFailure) throw e;
        // The workflow waits for the resource, or tries the change again, visibly (TallyState) instead of
        // this activity retrying unseen.
        if (!(e instanceof ResourceUnreachableError)) {
          const policy = await resourceOf(deps, change.resourceRef).then((r) => failedChangePolicy(r.consistency.failedChange), () => null);
          throw ApplicationFailure.create({ message: describeError(e), type: failureTypes.changeFailed, details: [policy] });
        }
        const details: ResourceUnreachableDetails = { ...(await retryPolicyOf(e.resourceOid)), error: e.message };
        throw ApplicationFailure.create({ message: e.message, type: failureTypes.resourceUnreachable, details: [details] });
      }
    },
    /** processChange retries a failed change, or holds it as failed: live sync queues the object's later changes behind it. */
    async holdChange(held: HeldChange) {
      await holdChange(deps, held);
    },
    /** The held change went through or was discarded. */
    async releaseHeldChange(input: { workflowId: string }) {
      await deps.repo.liveSync.releaseHeldChange(input.workflowId);
    },
    /** Recomputes the user and provisions his accounts; what must wait is handed to provisionAccount. */
    async provisionUser(input: Omit<ProjectUserInput, 'workflowId'>) {
      return failFastOnConfiguration(() => provisionUser(deps, { ...input, workflowId: currentWorkflowId() }));
    },
    /** Recomputes a role's own projection and provisions its group; what must wait is handed to provisionAccount. */
    async provisionRole(input: Omit<ProvisionRoleInput, 'workflowId'>) {
      return failFastOnConfiguration(() => provisionRole(deps, { ...input, workflowId: currentWorkflowId() }));
    },
    /** One step of deleting a user: deprovision what is still linked; remove him when no delete is pending. */
    async deleteUserStep(input: Omit<UserDeletionStepInput, 'workflowId'>) {
      return failFastOnConfiguration(() => userDeletionStep(deps, { ...input, workflowId: currentWorkflowId() }));
    },
    /** A user's validFrom or validTo passed: his provisionUser workflow recomputes him (once per boundary). */
    async validityBoundaryPassed(input: { userOid: string; at: string }) {
      return deps.workflows.requestUserProvisioning({
        userOid: input.userOid,
        channel: 'user',
        changedUserPaths: ['activation'],
        requestId: `validity:${input.userOid}:${input.at}`,
      });
    },
    async nextPendingOperation(input: { shadowOid: string }) {
      return nextPendingOperation(deps, input.shadowOid);
    },
    // One activity per operation type, so a workflow's history says what was done to the account.
    async addAccount(input: AccountOperationInput) {
      return executeOperation(input);
    },
    async modifyAccount(input: AccountOperationInput) {
      return executeOperation(input);
    },
    async deleteAccount(input: AccountOperationInput) {
      return executeOperation(input);
    },
    /** Discovery after "already exists" or "not found": rewrites the shadow's pending operations. */
    async discoverAccount(input: Omit<DiscoveryInput, 'workflowId'>) {
      return whileHeartbeating(() => failFastOnConfiguration(() => discoverAccount(deps, { ...input, workflowId: currentWorkflowId() })));
    },
    /** Reads an account through its shadow, finishing its pending operations first when the resource is up. */
    async getAccount(input: { shadowOid: string; waitMs?: number }) {
      return failFastOnConfiguration(() => getAccount(deps, input.shadowOid, { waitMs: input.waitMs }));
    },
    /**
     * An operation succeeded after its resource had been unreachable: the resource is back, so the other
     * operations postponed on it are woken now rather than at the end of their backoff. Each operation is
     * woken once per recovery, not once per success of the others.
     */
    async wakeWaitingOperations(input: { resourceOid: string; exceptShadowOid: string }): Promise<number> {
      const postponedAfter = lastWake.get(input.resourceOid);
      lastWake.set(input.resourceOid, new Date().toISOString());
      const { shadowOids } = await whileHeartbeating(() =>
        resumePendingOperations(deps, input.resourceOid, { onlyPostponed: true, exceptShadowOid: input.exceptShadowOid, postponedAfter }),
      );
      return shadowOids.length;
    },
    /** (Re)starts the provisioning workflow of every shadow with pending operations. */
    async resumePendingOperations(input: { resourceOid?: string }) {
      return resumePendingOperations(deps, input.resourceOid);
    },
    /** The retry policy of the shadow's resource, in milliseconds. */
    async retryPolicyForShadow(input: { shadowOid: string }): Promise<ResourceRetryPolicy | null> {
      const shadow = await deps.repo.shadows.get(input.shadowOid);
      if (!shadow) return null;
      return retryPolicyOf(shadow.resourceRef);
    },
    /** True when the resource answers; used to wake waiting operations before their backoff ends. */
    async isResourceUp(input: { resourceOid: string }): Promise<boolean> {
      return isResourceUp(deps, input.resourceOid);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
