/**
 * The synchronization routine for one resource object, whatever found the change: shadow -> situation ->
 * reaction actions -> inbound -> provisioning of the owner's accounts, in one local activity per change.
 * Accounts whose operation must wait are handed to their provisionAccount workflows.
 */
import { proxyLocalActivities, setCurrentDetails, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { processChangeInputSchema } from '../schema/workflow-inputs';
import type { ResourceChange } from '../schema/objects';
import type { ChangeOutcome } from '../sync/synchronize-change';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';

export type { ChangeOutcome };

const acts = proxyLocalActivities<Pick<Activities, 'synchronizeChange'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function processChange(raw: unknown): Promise<ChangeOutcome[]> {
  return markedOnFailure(() => processChangeBody(raw));
}

async function processChangeBody(raw: unknown): Promise<ChangeOutcome[]> {
  const first = parseWorkflowInput(processChangeInputSchema, raw, 'processChange');
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
    setCurrentDetails(`processing ${change.changeType} of ${change.secondaryIdentifier ?? change.primaryIdentifier ?? '?'} (${change.channel})`);
    outcomes.push(await acts.synchronizeChange(change));
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  return outcomes;
}
