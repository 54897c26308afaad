/**
 * The synchronization routine for one resource object, whatever found the change: shadow -> situation ->
 * reaction actions -> inbound -> provisioning of the owner's accounts, in one local activity per change.
 * Accounts whose operation must wait are handed to their provisionAccount workflows. While the resource
 * can't be read, the change waits for it, searchable as TallyState=waiting-for-resource; a change that
 * fails otherwise is retried, then held as failed (failed-change.ts), and the object's later changes
 * queue behind it.
 */
import { ActivityFailure, ApplicationFailure, continueAsNew, proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, ResourceUnreachableDetails } from '../activities';
import { isShortShape, processChangeContinuedInputSchema, processChangeInputSchema, processChangeShortInputSchema, type ResumeWait } from '../schema/workflow-inputs';
import type { ResourceChange } from '../schema/objects';
import type { ChangeOutcome } from '../sync/synchronize-change';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';
import { backoffDelayMs } from './backoff';
import { waitForResource } from './resource-wait';
import { describeChange, operatorDecisions, retryingFailedChange } from './failed-change';

export type { ChangeOutcome };

/** The activities' failure type for a resource that can't be read now (activities/failures.ts). */
const resourceUnreachable = 'TallyResourceUnreachable';

const acts = proxyLocalActivities<Pick<Activities, 'resolveChangeInput'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [resourceUnreachable] },
});
/** Tried once per attempt: the workflow itself tries a failed change again, visibly (failed-change.ts). */
const routine = proxyLocalActivities<Pick<Activities, 'synchronizeChange'>>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 1 },
});

export async function processChange(raw: unknown): Promise<ChangeOutcome[]> {
  return markedOnFailure(() => processChangeBody(raw));
}

/** The long shape as it is, or the short one people type (`{ resource, account }`) resolved by an activity. */
async function firstChange(raw: unknown): Promise<ResourceChange> {
  if (!isShortShape(raw, 'resource', 'resourceRef')) return parseWorkflowInput(processChangeInputSchema, raw, 'processChange');
  return acts.resolveChangeInput(parseWorkflowInput(processChangeShortInputSchema, raw, 'processChange'));
}

/** Where a change stands in its wait for the resource, when the wait goes on in a fresh run. */
interface Waiting {
  attempt: number;
  resumeWait: ResumeWait;
  resource: ResourceUnreachableDetails;
}

async function processChangeBody(raw: unknown): Promise<ChangeOutcome[]> {
  const continued = isShortShape(raw, 'continued', 'resourceRef')
    ? parseWorkflowInput(processChangeContinuedInputSchema, raw, 'processChange').continued
    : null;
  const first = continued ? continued.change : await firstChange(raw);
  const queue: ResourceChange[] = [first, ...(continued?.queued ?? [])];
  // signalWithStart delivers the starting change once more as a signal: skip that copy.
  let skipCopyOfFirst = !continued;
  setHandler(signals.change, (change) => {
    if (skipCopyOfFirst && JSON.stringify(change) === JSON.stringify(raw)) {
      skipCopyOfFirst = false;
      return;
    }
    const parsed = processChangeInputSchema.safeParse(change);
    if (parsed.success) queue.push(parsed.data);
  });

  const outcomes = (continued?.outcomes ?? []) as unknown as ChangeOutcome[];
  let waiting: Waiting | null = continued ? { attempt: continued.attempt, resumeWait: continued.resumeWait, resource: continued.resource as unknown as ResourceUnreachableDetails } : null;
  // A change signalled while the last one completes is not lost: the server refuses that completion
  // (or the continue-as-new) and delivers the signal, and this loop runs again.
  const operator = operatorDecisions();
  while (queue.length > 0) {
    const maybeHeld = waiting !== null;
    const done = await retryingFailedChange(
      queue[0],
      operator,
      () => {
        // A wait an earlier run began is finished by the first attempt only.
        const resumed = waiting;
        waiting = null;
        return synchronizeWhenReadable(queue[0], resumed);
      },
      // A change still waiting for its resource is shown so until the next run says otherwise.
      { maybeHeld, inProgress: (result) => 'goOnWaiting' in result },
    );
    if ('goOnWaiting' in done) {
      const { attempt, resumeWait, resource } = done.goOnWaiting;
      return continueAsNew<typeof processChange>({ continued: { change: queue[0], queued: queue.slice(1), outcomes, attempt, resumeWait, resource } });
    }
    queue.shift();
    if ('outcome' in done) outcomes.push(done.outcome);
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  return outcomes;
}

/**
 * Runs the routine for the change; while its resource can't be read, waits for it with the resource's
 * backoff. `resumed`: a wait an earlier run began, finished first. Hands the wait back when the history is
 * long, for a fresh run to go on with.
 */
async function synchronizeWhenReadable(change: ResourceChange, resumed: Waiting | null): Promise<{ outcome: ChangeOutcome } | { goOnWaiting: Waiting }> {
  const waitFor = async (waiting: Waiting): Promise<Waiting | null> => {
    upsertSearchAttributes([
      { key: searchAttributes.state, value: 'waiting-for-resource' },
      { key: searchAttributes.resource, value: waiting.resource.resourceOid },
    ]);
    setCurrentDetails(waiting.resumeWait.details);
    const { resource } = waiting;
    const remainingMs = await waitForResource(
      { resourceOid: resource.resourceOid, delayMs: waiting.resumeWait.remainingMs, checkEveryMs: resource.livenessCheckIntervalMs, historyEvents: resource.waitingHistoryEvents },
      () => false,
    );
    return remainingMs > 0 ? { ...waiting, resumeWait: { ...waiting.resumeWait, remainingMs } } : null;
  };
  let attempt = 1;
  if (resumed) {
    const left = await waitFor(resumed);
    if (left) return { goOnWaiting: left };
    attempt = resumed.attempt + 1;
  }
  for (; ; attempt++) {
    setCurrentDetails(`processing ${describeChange(change)}`);
    try {
      const outcome = await routine.synchronizeChange(change);
      if (attempt > 1) upsertSearchAttributes([{ key: searchAttributes.state, value: 'running' }]);
      return { outcome };
    } catch (e) {
      const unreachable = unreachableResource(e);
      if (!unreachable) throw e;
      if (unreachable.maximumAttempts !== null && attempt >= unreachable.maximumAttempts) {
        throw ApplicationFailure.nonRetryable(
          `gave up reading ${change.secondaryIdentifier ?? change.primaryIdentifier} from ${unreachable.resourceName} after ${attempt} attempts: ${unreachable.error}`,
          resourceUnreachable,
        );
      }
      const delay = backoffDelayMs(unreachable, attempt);
      const details = `waiting for ${unreachable.resourceName} to come back: ${describeChange(change)} can't be read (attempt ${attempt}, next in ${Math.round(delay / 1000)} s): ${unreachable.error}`;
      const left = await waitFor({ attempt, resumeWait: { remainingMs: delay, details }, resource: unreachable });
      if (left) return { goOnWaiting: left };
    }
  }
}

function unreachableResource(e: unknown): ResourceUnreachableDetails | null {
  // A local activity's failure may come wrapped in an ActivityFailure or as it is.
  const cause = e instanceof ActivityFailure ? e.cause : e;
  if (!(cause instanceof ApplicationFailure) || cause.type !== resourceUnreachable) return null;
  return (cause.details?.[0] as ResourceUnreachableDetails | undefined) ?? null;
}
