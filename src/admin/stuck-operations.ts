/**
 * `tally status`: the operations that are not moving, as ops look for them in the Temporal UI
 * (TallyState="waiting-for-resource" or "failed"), each with what it waits for and its last error.
 */
import type { Client } from '@temporalio/client';
import { searchAttributes } from '../workflows/workflow-ids';
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

/** `repo`: runs an operator gave up (`tally operation cancel`) are left out. */
export async function stuckOperations(client: Client, options: { limit?: number; repo?: Repository } = {}): Promise<StuckOperation[]> {
  const query = `${searchAttributes.state.name} IN ("waiting-for-resource", "failed") AND ExecutionStatus IN ("Running", "Failed")`;
  const found: StuckOperation[] = [];
  for await (const execution of client.workflow.list({ query })) {
    if (found.length >= (options.limit ?? 200)) break;
    if (options.repo && (await options.repo.cancelledOperations([`${execution.workflowId}/${execution.runId}`])).size > 0) continue;
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
  return found;
}

async function isSuperseded(client: Client, workflowId: string, runId: string): Promise<boolean> {
  const latest = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => null);
  return latest !== null && latest.runId !== runId;
}
