/**
 * One account's operations, serialized: executes the shadow's pending operations; while the resource is
 * down the operation stays postponed and the workflow waits on a durable timer with backoff, testing the
 * resource now and then so it notices it coming back early. Searchable as TallyState=waiting-for-resource.
 */
import {
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { isShortShape, provisionAccountInputSchema, provisionAccountShortInputSchema, type ResumeWait } from '../schema/workflow-inputs';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals, type TallyState } from './workflow-ids';
import { backoffDelayMs } from './backoff';
import { waitForResource } from './resource-wait';

// The activities heartbeat while they run: a dead worker's attempt is retried after 10 s, not 2 minutes.
const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const operationActivity = { add: acts.addAccount, modify: acts.modifyAccount, delete: acts.deleteAccount };

/** Short repository reads. */
const reads = proxyLocalActivities<Pick<Activities, 'nextPendingOperation' | 'retryPolicyForShadow'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Longest wait for another executor before looking again. */
const CLAIM_WAIT_MS = 30_000;

/** Steps before the history is handed to a fresh run. */
const stepsPerRun = 200;

export interface ProvisionAccountResult {
  done: number;
  failed: Array<{ operation: string; error: string }>;
  gaveUp: boolean;
}

export async function provisionAccount(raw: unknown): Promise<ProvisionAccountResult> {
  return markedOnFailure(() => provisionAccountBody(raw));
}

async function provisionAccountBody(raw: unknown): Promise<ProvisionAccountResult> {
  // The short shape people type, `{ "shadow": "<oid>" }`, names the same shadow.
  const input = isShortShape(raw, 'shadow', 'shadowOid')
    ? { shadowOid: parseWorkflowInput(provisionAccountShortInputSchema, raw, 'provisionAccount').shadow }
    : parseWorkflowInput(provisionAccountInputSchema, raw, 'provisionAccount');
  let woken = false;
  setHandler(signals.wake, () => {
    woken = true;
  });
  const setState = (state: TallyState) => upsertSearchAttributes([{ key: searchAttributes.state, value: state }]);
  upsertSearchAttributes([{ key: searchAttributes.shadow, value: input.shadowOid }]);

  const policy = await reads.retryPolicyForShadow({ shadowOid: input.shadowOid });
  const result: ProvisionAccountResult = { done: 0, failed: [], gaveUp: false };
  if (!policy) return result;
  upsertSearchAttributes([{ key: searchAttributes.resource, value: policy.resourceOid }]);

  const waitOn = (delayMs: number) =>
    waitForResource(
      { resourceOid: policy.resourceOid, delayMs, checkEveryMs: policy.livenessCheckIntervalMs, historyEvents: policy.waitingHistoryEvents },
      () => woken,
    );
  const goOnWaitingInNewRun = (resumeWait: ResumeWait) =>
    continueAsNew<typeof provisionAccount>({ shadowOid: input.shadowOid, ...(input.resourceOid ? { resourceOid: input.resourceOid } : {}), resumeWait });

  // Set once an operation had to wait for the resource: its first success means the resource is back.
  let waitedForResource = false;
  if (input.resumeWait) {
    waitedForResource = true;
    setState('waiting-for-resource');
    setCurrentDetails(input.resumeWait.details);
    const remainingMs = await waitOn(input.resumeWait.remainingMs);
    if (remainingMs > 0) return goOnWaitingInNewRun({ remainingMs, details: input.resumeWait.details });
  }
  for (let step = 0; step < stepsPerRun; step++) {
    woken = false;
    const next = await reads.nextPendingOperation({ shadowOid: input.shadowOid });
    const outcome = next ? await operationActivity[next.type]({ shadowOid: input.shadowOid, operationId: next.id }) : ({ outcome: 'idle' } as const);
    switch (outcome.outcome) {
      case 'stale':
        continue;
      case 'busy':
        // Another executor (a synchronization activity) is at this account: wait for it, or for its claim to end.
        setCurrentDetails(`another executor is at this account until ${outcome.until}`);
        await condition(() => woken, Math.max(1000, Math.min(CLAIM_WAIT_MS, Date.parse(outcome.until) - Date.now())));
        continue;
      case 'idle':
        // A wake signalled while this completes is not lost: the server refuses the completion and delivers it.
        if (woken) continue;
        setState('done');
        setCurrentDetails(`no pending operations; ${result.done} done, ${result.failed.length} failed`);
        return result;
      case 'done':
        result.done++;
        setState('running');
        if (waitedForResource || outcome.afterPostponement) {
          waitedForResource = false;
          await acts.wakeWaitingOperations({ resourceOid: policy.resourceOid, exceptShadowOid: input.shadowOid });
        }
        continue;
      case 'failed':
        result.failed.push({ operation: outcome.operation, error: outcome.error.message });
        setCurrentDetails(`${outcome.operation} failed: ${outcome.error.message}`);
        continue;
      case 'discovery': {
        const found = outcome.error.handling === 'discover-existing' ? 'existing' : 'missing';
        const discovered = await acts.discoverAccount({ shadowOid: input.shadowOid, found });
        setCurrentDetails(`discovery after ${outcome.operation} (${outcome.error.kind}): ${discovered.message}`);
        if (discovered.outcome === 'done') result.done++;
        if (discovered.outcome === 'failed') {
          result.failed.push({ operation: outcome.operation, error: discovered.message });
          setState('failed');
        }
        continue;
      }
      case 'postponed': {
        waitedForResource = true;
        if (policy.maximumAttempts !== null && outcome.attemptNumber >= policy.maximumAttempts) {
          setState('failed');
          setCurrentDetails(`gave up ${outcome.operation} after ${outcome.attemptNumber} attempts on ${policy.resourceName}: ${outcome.error}`);
          result.gaveUp = true;
          return result;
        }
        setState('waiting-for-resource');
        upsertSearchAttributes([{ key: searchAttributes.operation, value: outcome.operation }]);
        const delay = backoffDelayMs(policy, outcome.attemptNumber);
        const details = `waiting for ${policy.resourceName} to come back: ${outcome.operation} postponed (attempt ${outcome.attemptNumber}, next in ${Math.round(delay / 1000)} s): ${outcome.error}`;
        setCurrentDetails(details);
        const remainingMs = await waitOn(delay);
        if (remainingMs > 0) return goOnWaitingInNewRun({ remainingMs, details });
        continue;
      }
    }
  }
  return continueAsNew<typeof provisionAccount>(input);
}
