/** Waiting in a workflow for a resource that is down: a durable timer, cut short when the resource answers. */
import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** A connection test is short: if its worker dies, another one repeats it soon. */
const probe = proxyActivities<Pick<Activities, 'isResourceUp'>>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

/** Sleeps up to `delayMs`, ending early when signalled or when the resource answers a connection test. */
export async function waitForResource(resourceOid: string, delayMs: number, checkEveryMs: number, wokenUp: () => boolean) {
  let waited = 0;
  while (waited < delayMs) {
    const slice = Math.min(checkEveryMs, delayMs - waited);
    if (await condition(wokenUp, slice)) return;
    waited += slice;
    if (waited < delayMs && (await probe.isResourceUp({ resourceOid }))) return;
  }
}
