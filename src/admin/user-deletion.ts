/**
 * `tally user delete`, `DELETE /api/v1/users/{ref}`: starts the user's deleteUser workflow (a second
 * request joins the one running) and, when asked, waits for its outcome.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Channel } from '../schema/config';
import type { Services } from '../runtime/services';
import type { DeleteUserResult } from '../workflows/delete-user';
import { searchAttributes, workflowIds } from '../workflows/workflow-ids';
import { UserCommandError } from './user-commands';

export interface UserDeletion {
  userOid: string;
  name: string;
  workflowId: string;
  outcome?: { deleted: boolean; accounts: DeleteUserResult['accounts'] };
}

/** How often a waiting caller looks at what the deletion waits for. */
const WATCH_EVERY_MS = 2000;

/**
 * `wait`: resolves when the user is gone; meanwhile `onWaiting` hears each new line of what the deletion
 * waits for (an account delete on a resource that is down).
 */
export async function deleteUser(
  services: Services,
  ref: string,
  channel: Channel,
  options: { wait?: boolean; onWaiting?: (details: string) => void } = {},
): Promise<UserDeletion> {
  const user = await services.repo.userByRef(ref);
  if (!user) throw new UserCommandError('not-found', `no user '${ref}'`);
  const workflowId = workflowIds.deleteUser(user.oid);
  try {
    await services.client.workflow.start('deleteUser', {
      taskQueue: services.settings.TALLY_TASK_QUEUE,
      workflowId,
      args: [{ userOid: user.oid, channel }],
      typedSearchAttributes: [
        { key: searchAttributes.user, value: user.oid },
        { key: searchAttributes.state, value: 'running' },
      ],
    });
  } catch (e) {
    // Asked a moment ago: this request joins that deletion.
    if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
  }
  const started = { userOid: user.oid, name: user.name, workflowId };
  if (!options.wait) return started;
  const handle = services.client.workflow.getHandle<(raw: unknown) => Promise<DeleteUserResult>>(workflowId);
  let lastDetails = '';
  const watch = options.onWaiting
    ? setInterval(() => {
        handle
          .query<{ currentDetails?: string }>('__temporal_workflow_metadata')
          .then(({ currentDetails }) => {
            if (currentDetails && currentDetails !== lastDetails && /waiting/.test(currentDetails)) options.onWaiting!((lastDetails = currentDetails));
          })
          .catch(() => undefined);
      }, WATCH_EVERY_MS)
    : undefined;
  const result = await handle.result().finally(() => clearInterval(watch));
  return { ...started, outcome: { deleted: result.state === 'deleted', accounts: result.accounts } };
}
