/**
 * `tally operation retry|cancel <id>`, `POST /api/v1/operations/{id}/retry|cancel`. An operation is what
 * `tally status` lists: a workflow (by its id) waiting for a resource or failed.
 *
 * retry: a failed workflow runs again from its start with the same input (a reset to its first workflow
 * task: a new run, the old one kept in history); a waiting account operation is woken to try now; a
 * change processChange retries or holds as failed is tried again now, its attempts counted afresh. A
 * retry of what already runs again does nothing, so retrying twice is retrying once.
 * cancel: the operation is given up. An account's pending operations leave its shadow (kept as its
 * `lastFailedOperation`, status `cancelled`, and audited); a waiting workflow is cancelled; a failed run
 * is recorded as given up. `tally status` then no longer lists it.
 * discard: a change processChange retries or holds as failed is dropped (audited) and the object's
 * changes queued behind it go on; anything else is cancelled.
 */
import { WorkflowNotFoundError, type WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { OperationAction } from '../schema/api';
import type { Channel } from '../schema/config';
import type { Services } from '../runtime/services';
import { cancelPendingOperations } from '../provisioning';
import { searchAttributes, signals } from '../workflows/workflow-ids';

export class OperationNotFoundError extends Error {
  override readonly name = 'OperationNotFoundError';
}

/** The operation isn't stuck (it completed, or it is running fine): nothing to retry or cancel. */
export class OperationNotStuckError extends Error {
  override readonly name = 'OperationNotStuckError';
}

async function describeOperation(services: Services, workflowId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await services.client.workflow.getHandle(workflowId).describe();
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) throw new OperationNotFoundError(`no operation '${workflowId}' (tally status lists them by workflow id)`);
    throw e;
  }
}

const stateOf = (d: WorkflowExecutionDescription) => d.typedSearchAttributes.get(searchAttributes.state) ?? 'unknown';
const shadowOf = (d: WorkflowExecutionDescription) => d.typedSearchAttributes.get(searchAttributes.shadow);
const isWaitingOrFailed = (d: WorkflowExecutionDescription) => ['waiting-for-resource', 'retrying', 'failed'].includes(stateOf(d));
/** A running processChange holding a change that keeps failing. */
const holdsFailedChange = (d: WorkflowExecutionDescription) => d.status.name === 'RUNNING' && d.type === 'processChange' && ['retrying', 'failed'].includes(stateOf(d));

/** The event id of the run's first completed workflow task: resetting there runs the workflow again from its start. */
async function firstWorkflowTaskEventId(services: Services, workflowId: string, runId: string) {
  const history = await services.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const completed = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
  const event = history.events?.find((e) => e.eventType === completed);
  if (!event?.eventId) throw new OperationNotStuckError(`${workflowId} never ran a workflow task: there is nothing to run again`);
  return event.eventId;
}

export async function retryOperation(services: Services, workflowId: string): Promise<OperationAction> {
  const described = await describeOperation(services, workflowId);
  const status = described.status.name;
  if (status === 'RUNNING') {
    if (holdsFailedChange(described)) {
      await services.client.workflow.getHandle(workflowId).signal(signals.retryChange);
      return { workflowId, action: 'retry', done: 'woken', message: `${workflowId} tries its failed change again now (its attempts counted afresh)` };
    }
    if (described.type === 'provisionAccount' && isWaitingOrFailed(described)) {
      await services.client.workflow.getHandle(workflowId).signal(signals.wake);
      return { workflowId, action: 'retry', done: 'woken', message: `${workflowId} tries its pending operation again now` };
    }
    return { workflowId, action: 'retry', done: 'already running', message: `${workflowId} is running (${stateOf(described)}); nothing to retry` };
  }
  if (status !== 'FAILED' && status !== 'TIMED_OUT' && status !== 'TERMINATED') {
    throw new OperationNotStuckError(`${workflowId} is ${status.toLowerCase()}: there is nothing to retry`);
  }
  const eventId = await firstWorkflowTaskEventId(services, workflowId, described.runId);
  const reset: temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse = await services.client.workflowService.resetWorkflowExecution({
    namespace: services.settings.TEMPORAL_NAMESPACE,
    workflowExecution: { workflowId, runId: described.runId },
    reason: 'tally operation retry',
    workflowTaskFinishEventId: eventId,
    // The same failed run retried twice (two operators, a repeated request) is reset once.
    requestId: `retry:${described.runId}`,
  });
  const runId = reset.runId ?? '?';
  await services.repo.audit.write([
    { timestamp: new Date().toISOString(), channel: 'user', objectType: 'user', objectOid: workflowId, delta: { retried: described.runId, newRun: runId }, workflowId, message: `operation ${workflowId} retried` },
  ]);
  return { workflowId, action: 'retry', done: 'reset', message: `${described.type} ${workflowId} runs again from its start (run ${runId})` };
}

export async function cancelOperation(services: Services, workflowId: string, reason = 'cancelled by an operator'): Promise<OperationAction> {
  const described = await describeOperation(services, workflowId);
  const status = described.status.name;
  const stuck = (status === 'RUNNING' && isWaitingOrFailed(described)) || status === 'FAILED' || status === 'TIMED_OUT';
  if (!stuck) throw new OperationNotStuckError(`${workflowId} is ${status.toLowerCase()} (${stateOf(described)}): it is not stuck, there is nothing to cancel`);

  if ((await services.repo.runs.cancelledOperations([`${workflowId}/${described.runId}`])).size > 0) {
    return { workflowId, action: 'cancel', done: 'already cancelled', message: `${workflowId} was cancelled already` };
  }
  const parts: string[] = [];
  const shadowOid = shadowOf(described);
  if (described.type === 'provisionAccount' && shadowOid) {
    const { cancelled, shadowRemoved } = await cancelPendingOperations(services.syncDeps, shadowOid, reason, workflowId);
    parts.push(cancelled.length ? `cancelled pending ${cancelled.map((op) => op.type).join(', ')} of shadow ${shadowOid}${shadowRemoved ? ' (never created: shadow removed)' : ''}` : `shadow ${shadowOid} had no pending operations`);
    // The workflow finds nothing left to do and ends.
    if (status === 'RUNNING') await services.client.workflow.getHandle(workflowId).signal(signals.wake);
  } else if (status === 'RUNNING') {
    await services.client.workflow.getHandle(workflowId).cancel();
    // Its object's later changes no longer queue behind it.
    if (described.type === 'processChange') await services.repo.liveSync.releaseHeldChange(workflowId);
    parts.push(`workflow ${described.type} cancelled`);
  }
  await services.repo.runs.recordCancellation({ workflowId, runId: described.runId, cancelledAt: new Date().toISOString(), reason });
  await services.repo.audit.write([
    {
      timestamp: new Date().toISOString(),
      channel: 'user',
      objectType: shadowOid ? 'shadow' : 'user',
      objectOid: shadowOid ?? workflowId,
      delta: { cancelled: workflowId, runId: described.runId, state: stateOf(described) },
      workflowId,
      message: `operation ${workflowId} cancelled: ${reason}`,
    },
  ]);
  parts.push('no longer listed by tally status');
  return { workflowId, action: 'cancel', done: 'cancelled', message: `${workflowId}: ${parts.join('; ')}` };
}

/**
 * Drops the change a processChange retries or holds as failed; the workflow goes on with the changes of
 * the object queued behind it. What is not such a change is cancelled (`cancelOperation`).
 */
export async function discardOperation(services: Services, workflowId: string, options: { reason?: string; channel?: Channel } = {}): Promise<OperationAction> {
  const reason = options.reason ?? 'discarded by an operator';
  const described = await describeOperation(services, workflowId);
  if (!holdsFailedChange(described)) return { ...(await cancelOperation(services, workflowId, reason)), action: 'discard' };
  const held = await services.repo.liveSync.heldChange(workflowId);
  await services.client.workflow.getHandle(workflowId).signal(signals.discardChange);
  await services.repo.audit.write([
    {
      timestamp: new Date().toISOString(),
      channel: options.channel ?? 'user',
      objectType: 'account',
      objectOid: workflowId,
      ...(held ? { resourceRef: held.resourceRef } : {}),
      delta: { discarded: held?.change ?? null, attempt: held?.attempt, lastError: held?.lastError, state: stateOf(described) },
      workflowId,
      message: `change held by ${workflowId} discarded: ${reason}`,
    },
  ]);
  const what = held ? `${held.change.changeType} of ${held.change.secondaryIdentifier ?? held.change.primaryIdentifier}` : 'its held change';
  return { workflowId, action: 'discard', done: 'discarded', message: `${workflowId}: ${what} dropped; the object's changes queued behind it go on` };
}
