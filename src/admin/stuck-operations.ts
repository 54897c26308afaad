/**
 * `tally status`: the operations that are not moving, as ops look for them in the Temporal UI
 * (TallyState="waiting-for-resource", "retrying", "awaiting-approval" or "failed"), each with what it waits
 * for and its last error (a change being retried or held as failed: its attempt, next try and last error; a
 * run or live sync held at its thresholds: why, and how to decide).
 */
import type { Client } from '@temporalio/client';
import { searchAttributes, workflowIds } from '../workflows/workflow-ids';
import { findStrandedWork } from '../sync/stranded-work';
import { rootCause } from './root-cause';
import type { Repository } from '../repository/repository';

export interface StuckOperation {
  workflowId: string;
  type: string;
  state: string;
  resource?: string;
  shadow?: string;
  user?: string;
  since: string;
  details: string;
}

/**
 * `repo`: runs an operator gave up (`tally operation cancel`) are left out, and work no executor holds is
 * listed as `stranded` (a running worker's sweep hands it to its workflow within seconds; listed longer, no
 * worker runs).
 */
export async function stuckOperations(client: Client, options: { limit?: number; repo?: Repository } = {}): Promise<StuckOperation[]> {
  const query = `${searchAttributes.state.name} IN ("waiting-for-resource", "retrying", "awaiting-approval", "failed") AND ExecutionStatus IN ("Running", "Failed")`;
  const found: StuckOperation[] = [];
  for await (const execution of client.workflow.list({ query })) {
    if (found.length >= (options.limit ?? 200)) break;
    if (options.repo && (await options.repo.runs.cancelledOperations([`${execution.workflowId}/${execution.runId}`])).size > 0) continue;
    // A failed run that a later run of the same workflow id replaced (a retry, a new request) is history, not stuck.
    if (execution.status.name === 'FAILED' && (await isSuperseded(client, execution.workflowId, execution.runId))) continue;
    const sa = execution.typedSearchAttributes;
    // The current-details line says what the workflow waits for and the last error (a running one answers
    // the metadata query; a failed one has its failure).
    const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
    const details =
      execution.status.name === 'RUNNING'
        ? ((await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata').catch(() => ({ currentDetails: '' }))).currentDetails ?? '')
        : await handle.result().then(
            () => '',
            (e: unknown) => rootCause(e),
          );
    found.push({
      workflowId: execution.workflowId,
      type: execution.type,
      state: sa.get(searchAttributes.state) ?? '?',
      resource: sa.get(searchAttributes.resource),
      shadow: sa.get(searchAttributes.shadow),
      user: sa.get(searchAttributes.user),
      since: execution.startTime.toISOString(),
      details,
    });
  }
  if (options.repo) found.push(...(await strandedWork(options.repo)));
  return found;
}

async function strandedWork(repo: Repository): Promise<StuckOperation[]> {
  const { shadows, users } = await findStrandedWork(repo, new Date().toISOString(), { reaskAfterMs: 0, limit: 200 });
  return [
    ...shadows.map(({ oid, resourceRef, pendingOperations: [first] }) => ({
      workflowId: workflowIds.provisionAccount(oid),
      type: 'provisionAccount',
      state: 'stranded',
      resource: resourceRef,
      shadow: oid,
      since: first.requestTimestamp,
      details: first.executing
        ? `${first.type} claimed by ${first.executingBy ?? 'an executor'} until ${first.executingUntil}, which stopped before finishing it`
        : `${first.type} queued and not handed to its workflow`,
    })),
    ...users.map(({ oid, projectionDue }) => ({
      workflowId: workflowIds.provisionUser(oid),
      type: 'provisionUser',
      state: 'stranded',
      user: oid,
      since: projectionDue!.since,
      details: `changed (${projectionDue!.paths?.join(', ') ?? 'everything'}) and his accounts not provisioned since${projectionDue!.handedOverAt ? `; asked for at ${projectionDue!.handedOverAt}` : ''}`,
    })),
  ];
}

async function isSuperseded(client: Client, workflowId: string, runId: string): Promise<boolean> {
  const latest = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => null);
  return latest !== null && latest.runId !== runId;
}
