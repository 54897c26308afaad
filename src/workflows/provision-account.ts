/**
 * One account's operations, serialized: executes the shadow's pending operations; while the resource is
 * down the operation stays postponed and the workflow waits on a durable timer with backoff, testing the
 * resource now and then so it notices it coming back early. Searchable as TallyState=waiting-for-resource.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { provisionAccountInputSchema } from '../schema/workflow-inputs';
import { parseWorkflowInput } from './workflow-input';
import { searchAttributes, signals, type TallyState } from './workflow-ids';
import { backoffDelayMs } from './backoff';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const wakeSignal = defineSignal(signals.wake);

/** Steps before the history is handed to a fresh run. */
const stepsPerRun = 200;

export interface ProvisionAccountResult {
  done: number;
  failed: Array<{ operation: string; error: string }>;
  gaveUp: boolean;
}

export async function provisionAccount(raw: unknown): Promise<ProvisionAccountResult> {
  const input = parseWorkflowInput(provisionAccountInputSchema, raw, 'provisionAccount');
  let woken = false;
  setHandler(wakeSignal, () => {
    woken = true;
  });
  const setState = (state: TallyState) => upsertSearchAttributes({ [searchAttributes.state]: [state] });
  upsertSearchAttributes({ [searchAttributes.shadow]: [input.shadowOid] });

  const policy = await acts.retryPolicyForShadow({ shadowOid: input.shadowOid });
  const result: ProvisionAccountResult = { done: 0, failed: [], gaveUp: false };
  if (!policy) return result;
  upsertSearchAttributes({ [searchAttributes.resource]: [policy.resourceOid] });

  for (let step = 0; step < stepsPerRun; step++) {
    woken = false;
    const outcome = await acts.executeNextPendingOperation({ shadowOid: input.shadowOid });
    switch (outcome.outcome) {
      case 'idle':
        if (woken) continue;
        await condition(() => woken, '1 second');
        if (woken) continue;
        setState('done');
        setCurrentDetails(`no pending operations; ${result.done} done, ${result.failed.length} failed`);
        return result;
      case 'done':
        result.done++;
        setState('running');
        continue;
      case 'failed':
      case 'discovery':
        result.failed.push({ operation: outcome.operation, error: outcome.error.message });
        setCurrentDetails(`${outcome.operation} failed: ${outcome.error.message}`);
        if (outcome.outcome === 'discovery') {
          setState('failed');
          return result;
        }
        continue;
      case 'postponed': {
        if (policy.maximumAttempts !== null && outcome.attemptNumber >= policy.maximumAttempts) {
          setState('failed');
          setCurrentDetails(`gave up ${outcome.operation} after ${outcome.attemptNumber} attempts on ${policy.resourceName}: ${outcome.error}`);
          result.gaveUp = true;
          return result;
        }
        setState('waiting-for-resource');
        const delay = backoffDelayMs(policy, outcome.attemptNumber);
        setCurrentDetails(
          `waiting for ${policy.resourceName} to come back: ${outcome.operation} postponed (attempt ${outcome.attemptNumber}, next in ${Math.round(delay / 1000)} s): ${outcome.error}`,
        );
        await waitForResource(policy.resourceOid, delay, policy.livenessCheckIntervalMs, () => woken);
        continue;
      }
    }
  }
  return continueAsNew<typeof provisionAccount>(input);
}

/** Sleeps up to `delayMs`, ending early when signalled or when the resource answers a connection test. */
async function waitForResource(resourceOid: string, delayMs: number, checkEveryMs: number, wokenUp: () => boolean) {
  let waited = 0;
  while (waited < delayMs) {
    const slice = Math.min(checkEveryMs, delayMs - waited);
    if (await condition(wokenUp, slice)) return;
    waited += slice;
    if (waited < delayMs && (await acts.isResourceUp({ resourceOid }))) return;
  }
}
