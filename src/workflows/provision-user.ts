/**
 * Recompute one user and provision every account: operations that can be done now are done in the same
 * local activity; those that must wait are handed to their account's provisionAccount workflow.
 */
import { proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { isShortShape, provisionUserInputSchema, provisionUserShortInputSchema } from '../schema/workflow-inputs';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';
import { mergeRecomputeRequests, type RecomputeRequest } from './recompute-requests';

const acts = proxyLocalActivities<Pick<Activities, 'provisionUser' | 'resolveUserInput'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface ProvisionUserResult {
  recomputations: number;
  accountOperations: Array<{ resourceRef: string; action: string; reason: string }>;
  shadowOids: string[];
  /** Accounts whose operation waits in their provisionAccount workflow. */
  handedOver: string[];
  /** What happened to each account: `<resource>: <state> (<what was done>)`. */
  accounts: string[];
}

export async function provisionUser(raw: unknown): Promise<ProvisionUserResult> {
  return markedOnFailure(() => provisionUserBody(raw));
}

/** The long shape as it is, or the short one people type (`{ user: "<name or oid>" }`) resolved by an activity. */
async function firstRequest(raw: unknown): Promise<RecomputeRequest> {
  if (!isShortShape(raw, 'user', 'userOid')) return parseWorkflowInput(provisionUserInputSchema, raw, 'provisionUser');
  const { user, channel } = parseWorkflowInput(provisionUserShortInputSchema, raw, 'provisionUser');
  return { ...(await acts.resolveUserInput({ user })), channel };
}

async function provisionUserBody(raw: unknown): Promise<ProvisionUserResult> {
  const first: RecomputeRequest = await firstRequest(raw);
  const seen = new Set<string>(first.requestId ? [first.requestId] : []);
  const waiting: RecomputeRequest[] = [first];
  setHandler(signals.recompute, (request) => {
    const parsed = provisionUserInputSchema.safeParse(request);
    if (!parsed.success) return;
    if (parsed.data.requestId && seen.has(parsed.data.requestId)) return;
    if (parsed.data.requestId) seen.add(parsed.data.requestId);
    waiting.push(parsed.data);
  });
  upsertSearchAttributes([
    { key: searchAttributes.user, value: first.userOid },
    { key: searchAttributes.state, value: 'running' },
  ]);

  const result: ProvisionUserResult = { recomputations: 0, accountOperations: [], shadowOids: [], handedOver: [], accounts: [] };
  // Requests signalled while the last recomputation completes are not lost: the server refuses that
  // completion and delivers them, and this loop runs again.
  while (waiting.length > 0) {
    const request = mergeRecomputeRequests(waiting.splice(0));
    result.recomputations++;
    setCurrentDetails(`recomputing user ${request.userOid} (${request.changedUserPaths?.join(', ') ?? 'all properties'})`);
    const provisioned = await acts.provisionUser({
      userOid: request.userOid,
      channel: request.channel,
      changedUserPaths: request.changedUserPaths,
      removedAssignments: request.removedAssignments,
      ...(request.addedAssignments ? { addedAssignments: request.addedAssignments } : {}),
    });
    result.accountOperations.push(...provisioned.plans.map((p) => ({ resourceRef: p.resourceRef, action: p.action, reason: p.reason })));
    result.shadowOids.push(...provisioned.accounts.map((a) => a.shadowOid));
    result.handedOver.push(...provisioned.accounts.filter((a) => a.state === 'handed-over').map((a) => a.shadowOid));
    result.accounts.push(...provisioned.accounts.map((a) => a.summary));
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  setCurrentDetails(
    `done: ${result.accountOperations.length} account operation(s), ${result.handedOver.length} waiting in provisionAccount (${workflowInfo().workflowId})`,
  );
  return result;
}
