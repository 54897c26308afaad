/**
 * `tally run approve|reject <id>`, `POST /api/v1/runs/{workflowId}/approve|reject`: the decision about a
 * run (or a live sync) that holds operations at its thresholds, sent to its workflow as a signal.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Services } from '../runtime/services';
import { searchAttributes, signals, type RunDecisionInput } from '../workflows/workflow-ids';

export type RunDecision = 'approve' | 'reject';

export class RunNotAwaitingApprovalError extends Error {
  override readonly name = 'RunNotAwaitingApprovalError';
}

export class HeldRunNotFoundError extends Error {
  override readonly name = 'HeldRunNotFoundError';
}

export interface RunDecisionResult {
  workflowId: string;
  decision: RunDecision;
  message: string;
}

export async function decideRun(services: Services, workflowId: string, decision: RunDecision, input: RunDecisionInput = {}): Promise<RunDecisionResult> {
  const handle = services.client.workflow.getHandle(workflowId);
  const described = await handle.describe().catch((e: unknown) => {
    if (e instanceof WorkflowNotFoundError) throw new HeldRunNotFoundError(`no run '${workflowId}' (tally runs and tally livesync status say the workflow ids)`);
    throw e;
  });
  const state = described.typedSearchAttributes.get(searchAttributes.state);
  if (described.status.name !== 'RUNNING' || state !== 'awaiting-approval') {
    throw new RunNotAwaitingApprovalError(`${workflowId} is not waiting for approval (it is ${described.status.name === 'RUNNING' ? state ?? 'running' : described.status.name.toLowerCase()})`);
  }
  await handle.signal(decision === 'approve' ? signals.approve : signals.reject, input);
  const message =
    decision === 'approve'
      ? `${workflowId} approved: it does the operations it held and goes on`
      : `${workflowId} rejected: none of the operations it held is done`;
  return { workflowId, decision, message };
}
