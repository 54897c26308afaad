/**
 * `--wait` on a workflow: its result, saying once what it waits for while it waits for a resource
 * (TallyState=waiting-for-resource) or holds a change that keeps failing (retrying, failed), and giving
 * up after `--timeout` (the workflow keeps going).
 */
import type { Client } from '@temporalio/client';
import { searchAttributes } from '../workflows/workflow-ids';

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

const POLL_MS = 1_000;

export async function waitForWorkflowResult<T>(
  client: Client,
  workflowId: string,
  options: { timeoutMs?: number; onWaiting: (details: string) => void },
): Promise<T> {
  const handle = client.workflow.getHandle(workflowId);
  let settled = false;
  const result = handle.result().finally(() => {
    settled = true;
  }) as Promise<T>;
  const started = Date.now();
  let told = false;
  let lastDetails = '';
  while (!settled) {
    const left = options.timeoutMs === undefined ? POLL_MS : Math.min(POLL_MS, options.timeoutMs - (Date.now() - started));
    if (left <= 0) {
      const waiting = lastDetails ? `: ${lastDetails}` : '';
      throw new WaitTimeoutError(`gave up waiting after ${Math.round(options.timeoutMs! / 1000)} s for ${workflowId}${waiting}; the workflow keeps going (tally status lists it while it waits)`);
    }
    const done = await Promise.race([result.then(() => true, () => true), new Promise<false>((r) => setTimeout(() => r(false), left))]);
    if (done) break;
    const state = (await handle.describe().catch(() => null))?.typedSearchAttributes.get(searchAttributes.state);
    // A change being retried or held as failed waits too (for its next try, or for an operator).
    if (state !== 'waiting-for-resource' && state !== 'retrying' && state !== 'failed') {
      told = false;
      continue;
    }
    lastDetails = (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata').catch(() => ({ currentDetails: '' }))).currentDetails ?? '';
    if (!told) {
      options.onWaiting(lastDetails || 'waiting for a resource');
      told = true;
    }
  }
  return result;
}
