/**
 * Recompute a role's own projection (midPoint's entitlement object: the role's group) and provision it,
 * as provisionUser does a user's accounts: one local activity per recomputation; requests signalled
 * while it runs are merged into the next one (their removed assignments add up).
 */
import { proxyLocalActivities, setCurrentDetails, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { z } from 'zod';
import type { Activities } from '../activities';
import { provisionRoleInputSchema } from '../schema/workflow-inputs';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';

const acts = proxyLocalActivities<Pick<Activities, 'provisionRole'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

type RoleRequest = z.output<typeof provisionRoleInputSchema>;

export interface ProvisionRoleResult {
  recomputations: number;
  operations: Array<{ resourceRef: string; action: string; reason: string }>;
  /** What happened to each entitlement: `<resource>: <state> (<what was done>)`. */
  entitlements: string[];
  /** The role was being deleted and is gone now. */
  deleted?: boolean;
}

/** While a deleted role's entitlements wait to be deleted (their resource is down), it looks again this often: 2 s up to a minute. */
const deletionRecheckMs = (attempt: number) => Math.min(60_000, 2_000 * 2 ** attempt);

export async function provisionRole(raw: unknown): Promise<ProvisionRoleResult> {
  return markedOnFailure(() => provisionRoleBody(raw));
}

async function provisionRoleBody(raw: unknown): Promise<ProvisionRoleResult> {
  const first = parseWorkflowInput(provisionRoleInputSchema, raw, 'provisionRole');
  const seen = new Set<string>(first.requestId ? [first.requestId] : []);
  const waiting: RoleRequest[] = [first];
  setHandler(signals.recomputeRole, (request) => {
    const parsed = provisionRoleInputSchema.safeParse(request);
    if (!parsed.success || parsed.data.roleOid !== first.roleOid) return;
    if (parsed.data.requestId && seen.has(parsed.data.requestId)) return;
    if (parsed.data.requestId) seen.add(parsed.data.requestId);
    waiting.push(parsed.data);
  });
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'running' }]);
  const result: ProvisionRoleResult = { recomputations: 0, operations: [], entitlements: [] };
  let deletionChecks = 0;
  while (waiting.length > 0) {
    const requests = waiting.splice(0);
    result.recomputations++;
    setCurrentDetails(`recomputing role ${first.roleOid}`);
    const provisioned = await acts.provisionRole({
      roleOid: first.roleOid,
      channel: requests[requests.length - 1]!.channel,
      removedAssignments: requests.flatMap((r) => r.removedAssignments ?? []),
    });
    result.operations.push(...provisioned.plans.map((p) => ({ resourceRef: p.resourceRef, action: p.action, reason: p.reason })));
    result.entitlements.push(...provisioned.accounts.map((a) => a.summary));
    if (provisioned.deletion === 'deleted') result.deleted = true;
    if (provisioned.deletion === 'waiting' && waiting.length === 0) {
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'waiting-for-resource' }]);
      setCurrentDetails(`role ${first.roleOid} deleted: waiting for its entitlements' deletes (${provisioned.accounts.map((a) => a.summary).join('; ') || 'handed over'})`);
      await sleep(deletionRecheckMs(deletionChecks++));
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'running' }]);
      waiting.push({ roleOid: first.roleOid, channel: requests[requests.length - 1]!.channel });
    }
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  setCurrentDetails(`done: ${result.operations.length} entitlement operation(s) (${workflowInfo().workflowId})`);
  return result;
}
