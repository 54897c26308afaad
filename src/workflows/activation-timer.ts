/**
 * `activationTimer` (`activation:<userOid>`): a durable timer per user with a validity boundary ahead.
 * It sleeps until the boundary (one Temporal timer, not a poll), then asks the user's provisionUser
 * workflow to recompute him, which computes the new effective status, provisions his accounts and arms
 * the next boundary (a `rearm` signal to this workflow, or a new run of it). A `rearm` to another time
 * while it sleeps (validity changed) replaces the timer. It continues as new before its history grows.
 */
import { condition, continueAsNew, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { activationTimerInputSchema } from '../schema/workflow-inputs';
import { markedOnFailure } from './failure-state';
import { parseWorkflowInput } from './workflow-input';
import { searchAttributes, signals } from './workflow-ids';

const acts = proxyActivities<Pick<Activities, 'validityBoundaryPassed'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export interface ActivationTimerResult {
  userOid: string;
  /** The boundaries that passed, each followed by a recomputation of the user. */
  passed: string[];
}

export async function activationTimer(raw: unknown): Promise<ActivationTimerResult> {
  return markedOnFailure(() => activationTimerBody(raw));
}

async function activationTimerBody(raw: unknown): Promise<ActivationTimerResult> {
  const input = parseWorkflowInput(activationTimerInputSchema, raw, 'activationTimer');
  let wakeAt: string | undefined = input.at;
  let rearmed = false;
  setHandler(signals.rearm, (request) => {
    const parsed = activationTimerInputSchema.safeParse(request);
    if (!parsed.success || parsed.data.userOid !== input.userOid || parsed.data.at === wakeAt) return;
    wakeAt = parsed.data.at;
    rearmed = true;
  });
  upsertSearchAttributes([{ key: searchAttributes.user, value: input.userOid }]);

  const result: ActivationTimerResult = { userOid: input.userOid, passed: [] };
  while (wakeAt !== undefined) {
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof activationTimer>({ userOid: input.userOid, at: wakeAt });
    const at = wakeAt;
    rearmed = false;
    // A boundary asked for again after it passed (the worker's clock behind this one's) waits a moment.
    const delay = Math.max(Date.parse(at) - Date.now(), result.passed.includes(at) ? 1000 : 0);
    if (delay > 0) {
      setCurrentDetails(`waiting until ${at} to recompute user ${input.userOid}`);
      if (await condition(() => rearmed, delay)) continue;
    }
    // A rearm signalled while the user is recomputed sets the next boundary, and the loop goes on.
    wakeAt = undefined;
    await acts.validityBoundaryPassed({ userOid: input.userOid, at });
    result.passed.push(at);
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  setCurrentDetails(`done: ${result.passed.length} validity boundar${result.passed.length === 1 ? 'y' : 'ies'} passed`);
  return result;
}
