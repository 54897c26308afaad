/** Waiting in a workflow for a resource that is down: a durable timer, cut short when the resource answers. */
import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { historyIsLong } from './history-budget';

/** A connection test is short: if its worker dies, another one repeats it soon. */
const probe = proxyActivities<Pick<Activities, 'isResourceUp'>>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

/** History events gathered while waiting before the wait goes on in a fresh run, for policies that don't say. */
const DEFAULT_WAITING_HISTORY_EVENTS = 2_000;

export interface ResourceWait {
  resourceOid: string;
  delayMs: number;
  checkEveryMs: number;
  /** History length past which the wait hands over to a fresh run (continue-as-new). */
  historyEvents?: number;
}

/**
 * Sleeps up to `delayMs`, ending early when `wokenUp()` or when the resource answers a connection test.
 * Returns the part of the wait still ahead when the history grew too long to go on in this run (the
 * caller continues as new with it), else 0.
 */
export async function waitForResource(wait: ResourceWait, wokenUp: () => boolean): Promise<number> {
  const historyLimit = wait.historyEvents ?? DEFAULT_WAITING_HISTORY_EVENTS;
  let waited = 0;
  while (waited < wait.delayMs) {
    const slice = Math.min(wait.checkEveryMs, wait.delayMs - waited);
    if (await condition(wokenUp, slice)) return 0;
    waited += slice;
    if (waited < wait.delayMs && (await probe.isResourceUp({ resourceOid: wait.resourceOid }))) return 0;
    if (waited < wait.delayMs && historyIsLong(historyLimit)) return wait.delayMs - waited;
  }
  return 0;
}
