/**
 * Delete one user (`delete-user:<userOid>`): his accounts are deprovisioned as his assignments say, then
 * he is removed. Account deletes that must wait for their resource wait in their provisionAccount
 * workflows; this workflow looks again with backoff (TallyState=waiting-for-resource meanwhile) and
 * removes the user when they are done.
 */
import { continueAsNew, proxyLocalActivities, setCurrentDetails, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { UserDeletionStep } from '../sync/user-deletion';
import { deleteUserInputSchema, isShortShape, provisionUserShortInputSchema, type DeleteUserInput } from '../schema/workflow-inputs';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes } from './workflow-ids';

const acts = proxyLocalActivities<Pick<Activities, 'deleteUserStep' | 'resolveUserInput'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Looks again after 2 s, 4 s ... at most every minute; a fresh run after this many looks. */
const FIRST_LOOK_MS = 2000;
const MAX_LOOK_MS = 60_000;
const looksPerRun = 100;

export type DeleteUserResult = UserDeletionStep;

export async function deleteUser(raw: unknown): Promise<DeleteUserResult> {
  return markedOnFailure(() => deleteUserBody(raw));
}

/** `{ userOid }` as Tally starts it, or `{ user: "<name or oid>" }` as people type it. */
async function deleteUserInput(raw: unknown) {
  if (!isShortShape(raw, 'user', 'userOid')) return parseWorkflowInput(deleteUserInputSchema, raw, 'deleteUser');
  const { user, channel } = parseWorkflowInput(provisionUserShortInputSchema, raw, 'deleteUser');
  const resolved: DeleteUserInput = { ...(await acts.resolveUserInput({ user, workflowType: 'deleteUser' })), channel };
  return parseWorkflowInput(deleteUserInputSchema, resolved, 'deleteUser');
}

async function deleteUserBody(raw: unknown): Promise<DeleteUserResult> {
  const input = await deleteUserInput(raw);
  upsertSearchAttributes([
    { key: searchAttributes.user, value: input.userOid },
    { key: searchAttributes.state, value: 'running' },
  ]);
  let waitingFor = input.waitingFor ?? [];
  // What each account's first step did, kept for the result.
  const accounts = new Map<string, DeleteUserResult['accounts'][number]>();
  for (let look = 0; look < looksPerRun; look++) {
    const step = await acts.deleteUserStep({ userOid: input.userOid, channel: input.channel, waitingFor });
    for (const account of step.accounts) accounts.set(account.shadowOid, { ...accounts.get(account.shadowOid), ...account });
    for (const account of accounts.values()) if (account.state === 'waiting' && !step.waitingFor.includes(account.shadowOid)) account.state = 'done';
    if (step.state === 'deleted') {
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
      setCurrentDetails(`user ${step.userName ?? input.userOid} deleted; ${accounts.size} account(s) deprovisioned`);
      return { ...step, accounts: [...accounts.values()] };
    }
    waitingFor = step.waitingFor;
    const delay = Math.min(MAX_LOOK_MS, FIRST_LOOK_MS * 2 ** Math.min(look, 10));
    if (waitingFor.length > 0) {
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'waiting-for-resource' }]);
      const waits = [...accounts.values()].filter((a) => waitingFor.includes(a.shadowOid));
      setCurrentDetails(
        `deleting user ${step.userName ?? input.userOid}: waiting for account deletes on ${[...new Set(waits.map((a) => a.resource))].join(', ') || 'their resources'} (${waitingFor.length} pending; next look in ${Math.round(delay / 1000)} s)`,
      );
    }
    await sleep(delay);
  }
  return continueAsNew<typeof deleteUser>({ userOid: input.userOid, channel: input.channel, waitingFor });
}
