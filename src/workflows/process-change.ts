/**
 * The synchronization routine for one resource object, whatever found the change: shadow -> situation ->
 * reaction actions -> inbound -> provisioning of the owner's accounts, in one local activity per change.
 * Accounts whose operation must wait are handed to their provisionAccount workflows. While the resource
 * can't be read, the change waits for it, searchable as TallyState=waiting-for-resource.
 */
import { ActivityFailure, ApplicationFailure, proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities, ResourceUnreachableDetails } from '../activities';
import { isShortShape, processChangeInputSchema, processChangeShortInputSchema } from '../schema/workflow-inputs';
import type { ResourceChange } from '../schema/objects';
import type { ChangeOutcome } from '../sync/synchronize-change';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';
import { backoffDelayMs } from './backoff';
import { waitForResource } from './resource-wait';

export type { ChangeOutcome };

/** The activities' failure type for a resource that can't be read now (activities/failures.ts). */
const resourceUnreachable = 'TallyResourceUnreachable';

const acts = proxyLocalActivities<Pick<Activities, 'synchronizeChange' | 'resolveChangeInput'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [resourceUnreachable] },
});

export async function processChange(raw: unknown): Promise<ChangeOutcome[]> {
  return markedOnFailure(() => processChangeBody(raw));
}

/** The long shape as it is, or the short one people type (`{ resource, account }`) resolved by an activity. */
async function firstChange(raw: unknown): Promise<ResourceChange> {
  if (!isShortShape(raw, 'resource', 'resourceRef')) return parseWorkflowInput(processChangeInputSchema, raw, 'processChange');
  return acts.resolveChangeInput(parseWorkflowInput(processChangeShortInputSchema, raw, 'processChange'));
}

async function processChangeBody(raw: unknown): Promise<ChangeOutcome[]> {
  const first = await firstChange(raw);
  const queue: ResourceChange[] = [first];
  // signalWithStart delivers the starting change once more as a signal: skip that copy.
  let skipCopyOfFirst = true;
  setHandler(signals.change, (change) => {
    if (skipCopyOfFirst && JSON.stringify(change) === JSON.stringify(raw)) {
      skipCopyOfFirst = false;
      return;
    }
    const parsed = processChangeInputSchema.safeParse(change);
    if (parsed.success) queue.push(parsed.data);
  });

  const outcomes: ChangeOutcome[] = [];
  // A change signalled while the last one completes is not lost: the server refuses that completion
  // and delivers the signal, and this loop runs again.
  while (queue.length > 0) {
    const change = queue.shift()!;
    outcomes.push(await synchronizeWhenReadable(change));
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  return outcomes;
}

const describe = (change: ResourceChange) =>
  `${change.changeType} of ${change.secondaryIdentifier ?? change.primaryIdentifier ?? '?'} (${change.channel})`;

/** Runs the routine for the change; while its resource can't be read, waits for it with the resource's backoff. */
async function synchronizeWhenReadable(change: ResourceChange): Promise<ChangeOutcome> {
  for (let attempt = 1; ; attempt++) {
    setCurrentDetails(`processing ${describe(change)}`);
    try {
      const outcome = await acts.synchronizeChange(change);
      if (attempt > 1) upsertSearchAttributes([{ key: searchAttributes.state, value: 'running' }]);
      return outcome;
    } catch (e) {
      const unreachable = unreachableResource(e);
      if (!unreachable) throw e;
      if (unreachable.maximumAttempts !== null && attempt >= unreachable.maximumAttempts) {
        throw ApplicationFailure.nonRetryable(
          `gave up reading ${change.secondaryIdentifier ?? change.primaryIdentifier} from ${unreachable.resourceName} after ${attempt} attempts: ${unreachable.error}`,
          resourceUnreachable,
        );
      }
      upsertSearchAttributes([
        { key: searchAttributes.state, value: 'waiting-for-resource' },
        { key: searchAttributes.resource, value: unreachable.resourceOid },
      ]);
      const delay = backoffDelayMs(unreachable, attempt);
      setCurrentDetails(
        `waiting for ${unreachable.resourceName} to come back: ${describe(change)} can't be read (attempt ${attempt}, next in ${Math.round(delay / 1000)} s): ${unreachable.error}`,
      );
      await waitForResource(unreachable.resourceOid, delay, unreachable.livenessCheckIntervalMs, () => false);
    }
  }
}

function unreachableResource(e: unknown): ResourceUnreachableDetails | null {
  // A local activity's failure may come wrapped in an ActivityFailure or as it is.
  const cause = e instanceof ActivityFailure ? e.cause : e;
  if (!(cause instanceof ApplicationFailure) || cause.type !== resourceUnreachable) return null;
  return (cause.details?.[0] as ResourceUnreachableDetails | undefined) ?? null;
}
