/**
 * `tally user delete`, `DELETE /api/v1/users/{ref}`: starts the user's deleteUser workflow (a second
 * request joins the one running) and, when asked, waits for its outcome.
 */
import type { Channel } from '../schema/config';
import type { Services } from '../runtime/services';
import type { DeleteUserResult } from '../workflows/delete-user';
import { UserCommandError } from './user-commands';
import { WaitTimeoutError, waitForWorkflowResult } from './workflow-wait';

export interface UserDeletion {
  userOid: string;
  name: string;
  workflowId: string;
  outcome?: { deleted: boolean; accounts: DeleteUserResult['accounts'] };
  /** Set when the wait was given up: what the deletion waits for (it goes on). */
  waiting?: string;
}

/**
 * `wait`: resolves when the user is gone, or after `timeoutMs` with `waiting` saying what the deletion
 * waits for; meanwhile `onWaiting` hears once what it waits for (an account delete on a resource that is down).
 */
export async function deleteUser(
  services: Services,
  ref: string,
  channel: Channel,
  options: { wait?: boolean; timeoutMs?: number; onWaiting?: (details: string) => void } = {},
): Promise<UserDeletion> {
  const user = await services.repo.users.byRef(ref);
  if (!user) throw new UserCommandError('not-found', `no user '${ref}'`);
  const workflowId = await services.workflows.requestUserDeletion({ userOid: user.oid, channel });
  const started = { userOid: user.oid, name: user.name, workflowId };
  if (!options.wait) return started;
  try {
    const result = await waitForWorkflowResult<DeleteUserResult>(services.client, workflowId, { timeoutMs: options.timeoutMs, onWaiting: options.onWaiting ?? (() => undefined) });
    return { ...started, outcome: { deleted: result.state === 'deleted', accounts: result.accounts } };
  } catch (e) {
    if (!(e instanceof WaitTimeoutError)) throw e;
    return { ...started, waiting: e.message };
  }
}
