/** Recompute one user and hand every account's operation to that account's provisioning workflow. */
import { condition, defineSignal, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { provisionUserInputSchema, type ProvisionUserInput } from '../schema/workflow-inputs';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';
import { mergeRecomputeRequests, type RecomputeRequest } from './recompute-requests';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const recomputeSignal = defineSignal<[ProvisionUserInput]>(signals.recompute);

export interface ProvisionUserResult {
  recomputations: number;
  accountOperations: Array<{ resourceRef: string; action: string; reason: string }>;
  shadowOids: string[];
}

export async function provisionUser(raw: unknown): Promise<ProvisionUserResult> {
  return markedOnFailure(() => provisionUserBody(raw));
}

async function provisionUserBody(raw: unknown): Promise<ProvisionUserResult> {
  const first: RecomputeRequest = parseWorkflowInput(provisionUserInputSchema, raw, 'provisionUser');
  const seen = new Set<string>(first.requestId ? [first.requestId] : []);
  const waiting: RecomputeRequest[] = [first];
  setHandler(recomputeSignal, (request) => {
    const parsed = provisionUserInputSchema.safeParse(request);
    if (!parsed.success) return;
    if (parsed.data.requestId && seen.has(parsed.data.requestId)) return;
    if (parsed.data.requestId) seen.add(parsed.data.requestId);
    waiting.push(parsed.data);
  });
  upsertSearchAttributes({ [searchAttributes.user]: [first.userOid], [searchAttributes.state]: ['running'] });

  const result: ProvisionUserResult = { recomputations: 0, accountOperations: [], shadowOids: [] };
  while (waiting.length > 0) {
    const request = mergeRecomputeRequests(waiting.splice(0));
    result.recomputations++;
    setCurrentDetails(`recomputing user ${request.userOid} (${request.changedUserPaths?.join(', ') ?? 'all properties'})`);
    const projection = await acts.projectUser({
      userOid: request.userOid,
      channel: request.channel,
      changedUserPaths: request.changedUserPaths,
      removedAssignments: request.removedAssignments,
    });
    if (projection.plans.length > 0) {
      const { shadowOids } = await acts.enqueueAccountOperations({ userOid: request.userOid, plans: projection.plans, channel: request.channel });
      result.shadowOids.push(...shadowOids);
      result.accountOperations.push(...projection.plans.map((p) => ({ resourceRef: p.resourceRef, action: p.action, reason: p.reason })));
    }
    await condition(() => waiting.length > 0, '1 second');
  }
  upsertSearchAttributes({ [searchAttributes.state]: ['done'] });
  setCurrentDetails(`done: ${result.accountOperations.length} account operation(s) handed over (${workflowInfo().workflowId})`);
  return result;
}
