/**
 * A change the synchronization routine keeps failing on (not an outage, not configuration: a bug, data
 * the repository or the resource refuses) is tried again with durable timers by the resource's
 * `consistency.failedChange` (TallyState=retrying), then held as failed (TallyState=failed, the workflow
 * still running) until an operator retries or discards it. While held, a record says so, and live sync
 * queues the object's later changes behind it.
 */
import { ActivityFailure, ApplicationFailure, condition, patched, proxyLocalActivities, setCurrentDetails, setHandler, TimeoutFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { failedChangePolicy, type FailedChangePolicy } from '../schema/config-basics';
import type { ResourceChange } from '../schema/objects';
import { backoffDelayMs } from './backoff';
import { searchAttributes, signals, type TallyState } from './workflow-ids';

/** The activities' failure type for a change that failed and may be tried again (activities/failures.ts). */
const changeFailed = 'TallyChangeFailed';

const records = proxyLocalActivities<Pick<Activities, 'holdChange' | 'releaseHeldChange'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const describeChange = (change: ResourceChange) =>
  `${change.changeType} of ${change.secondaryIdentifier ?? change.primaryIdentifier ?? '?'} (${change.channel})`;

type OperatorDecision = 'retry' | 'discard';

/** The operator's retry or discard signals, taken one at a time. */
export function operatorDecisions() {
  let pending: OperatorDecision | null = null;
  setHandler(signals.retryChange, () => void (pending = 'retry'));
  setHandler(signals.discardChange, () => void (pending = 'discard'));
  return {
    /** The next decision; null when `timeoutMs` passed without one. Without a timeout, waits for one. */
    async next(timeoutMs?: number): Promise<OperatorDecision | null> {
      if (timeoutMs === undefined) await condition(() => pending !== null);
      else await condition(() => pending !== null, timeoutMs);
      const decision = pending;
      pending = null;
      return decision;
    },
    /** A decision signalled while the change went through is about nothing any more. */
    forget() {
      pending = null;
    },
  };
}

export type OperatorDecisions = ReturnType<typeof operatorDecisions>;

/** The failure of an attempt that `consistency.failedChange` retries, with the policy it carries; null for any other. */
function retryableFailure(e: unknown): { message: string; policy: FailedChangePolicy | null } | null {
  // A local activity's failure may come wrapped in an ActivityFailure or as it is.
  const cause = e instanceof ActivityFailure ? e.cause : e;
  if (cause instanceof ApplicationFailure && cause.type === changeFailed) {
    return { message: cause.message, policy: (cause.details?.[0] as FailedChangePolicy | null | undefined) ?? null };
  }
  // The routine ran out of time.
  if (cause instanceof TimeoutFailure) return { message: cause.message, policy: null };
  return null;
}

const setState = (state: TallyState) => upsertSearchAttributes([{ key: searchAttributes.state, value: state }]);

/**
 * Runs `attempt` until it succeeds, trying a failed change again and holding it as described above.
 * `{ discarded: true }`: an operator dropped the change.
 */
export async function retryingFailedChange<T>(
  change: ResourceChange,
  operator: OperatorDecisions,
  attempt: () => Promise<T>,
  options: { maybeHeld: boolean; inProgress?: (done: T) => boolean },
): Promise<T | { discarded: true }> {
  const { workflowId } = workflowInfo();
  // A run that went on from an earlier one may hold the change already; histories from before held
  // changes existed release nothing there.
  let held = options.maybeHeld && patched('release-change-held-by-earlier-run');
  let failures = 0;
  let since: string | null = null;
  // `running` again, unless the attempt left the change waiting (for its resource: that state stays).
  const release = async (running = true) => {
    if (held) await records.releaseHeldChange({ workflowId });
    if (running) setState('running');
  };
  for (;;) {
    try {
      const done = await attempt();
      operator.forget();
      if (held) await release(!options.inProgress?.(done));
      return done;
    } catch (e) {
      const failure = retryableFailure(e);
      if (!failure) throw e;
      failures++;
      since ??= new Date().toISOString();
      const policy = failure.policy ?? failedChangePolicy();
      const givenUp = failures >= policy.maxAttempts || Date.now() - Date.parse(since) >= policy.maxAgeMs;
      const delayMs = backoffDelayMs(policy, failures);
      const nextTryAt = givenUp ? undefined : new Date(Date.now() + delayMs).toISOString();
      const state = givenUp ? 'failed' : 'retrying';
      await records.holdChange({ workflowId, change, state, attempt: failures, maxAttempts: policy.maxAttempts, lastError: failure.message, since, ...(nextTryAt ? { nextTryAt } : {}) });
      held = true;
      setState(state);
      setCurrentDetails(
        givenUp
          ? `failed: ${describeChange(change)} failed ${failures} times since ${since}; held until an operator retries or discards it (tally operation retry|discard ${workflowId}): ${failure.message}`
          : `retrying ${describeChange(change)}: attempt ${failures} of ${policy.maxAttempts} failed, next try at ${nextTryAt}: ${failure.message}`,
      );
      const decision = await operator.next(givenUp ? undefined : delayMs);
      if (decision === 'discard') {
        await release();
        return { discarded: true };
      }
      if (decision === 'retry') {
        failures = 0;
        since = null;
      }
      setState('running');
      setCurrentDetails(`processing ${describeChange(change)}`);
    }
  }
}
