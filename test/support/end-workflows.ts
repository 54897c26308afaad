import type { Client } from '@temporalio/client';

/**
 * Ends a test file's open workflows on its task queue. The files a Jest worker runs one after the other use
 * the examples' fixed oids, so the same workflow ids, in the worker's namespace: a workflow left open where no
 * worker runs any more would take their signals. `knownIds` are described one by one, since the list may not
 * show a just-started workflow yet.
 */
export async function endWorkflowsOfTaskQueue(client: Client, taskQueue: string, knownIds: readonly string[]): Promise<void> {
  for (const workflowId of knownIds) {
    const handle = client.workflow.getHandle(workflowId);
    const described = await handle.describe().catch(() => null);
    // It may end by itself between the two calls.
    if (described?.status.name === 'RUNNING' && described.taskQueue === taskQueue) await handle.terminate('the test file ended').catch(() => undefined);
  }
  for await (const open of client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
    await client.workflow.getHandle(open.workflowId, open.runId).terminate('the test file ended').catch(() => undefined);
  }
}

/**
 * Ends every open workflow of a namespace. A Jest worker's files run one after the other in its namespace:
 * before each, what earlier files left open (a live sync whose workers were killed, say) is ended, so no file
 * finds another's workflow under the examples' ids.
 */
export async function endOpenWorkflows(client: Client): Promise<number> {
  let ended = 0;
  for await (const open of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
    await client.workflow.getHandle(open.workflowId, open.runId).terminate('an earlier test file left it open').then(() => ended++, () => undefined);
  }
  return ended;
}
