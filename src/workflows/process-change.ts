/**
 * The synchronization routine for one resource object, whatever found the change: shadow -> situation ->
 * reaction actions -> inbound -> provisioning of the owner's other accounts.
 */
import { condition, defineSignal, proxyActivities, setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { processChangeInputSchema, type ProcessChangeInput } from '../schema/workflow-inputs';
import type { ResourceChange } from '../schema/objects';
import { parseWorkflowInput } from './workflow-input';
import { markedOnFailure } from './failure-state';
import { searchAttributes, signals } from './workflow-ids';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export const changeSignal = defineSignal<[ProcessChangeInput]>(signals.change);

export interface ChangeOutcome {
  shadowOid: string | null;
  situation: string | null;
  ownerOid: string | null;
  actions: string[];
  changedUserPaths: string[];
  provisioningWorkflowId: string | null;
}

export async function processChange(raw: unknown): Promise<ChangeOutcome[]> {
  return markedOnFailure(() => processChangeBody(raw));
}

async function processChangeBody(raw: unknown): Promise<ChangeOutcome[]> {
  const first = parseWorkflowInput(processChangeInputSchema, raw, 'processChange');
  const queue: ResourceChange[] = [first];
  // signalWithStart delivers the starting change once more as a signal: skip that copy.
  let skipCopyOfFirst = true;
  setHandler(changeSignal, (change) => {
    if (skipCopyOfFirst && JSON.stringify(change) === JSON.stringify(raw)) {
      skipCopyOfFirst = false;
      return;
    }
    const parsed = processChangeInputSchema.safeParse(change);
    if (parsed.success) queue.push(parsed.data);
  });

  const outcomes: ChangeOutcome[] = [];
  while (queue.length > 0) {
    const change = queue.shift()!;
    outcomes.push(await synchronize(change));
    // Give a signal sent while we worked the chance to arrive before the workflow completes.
    await condition(() => queue.length > 0, '1 second');
  }
  upsertSearchAttributes({ [searchAttributes.state]: ['done'] });
  return outcomes;
}

async function synchronize(change: ResourceChange): Promise<ChangeOutcome> {
  setCurrentDetails(`processing ${change.changeType} of ${change.secondaryIdentifier ?? change.primaryIdentifier ?? '?'} (${change.channel})`);
  const observed = await acts.observeResourceObject(change);
  const outcome: ChangeOutcome = { shadowOid: observed.shadowOid, situation: null, ownerOid: null, actions: [], changedUserPaths: [], provisioningWorkflowId: null };
  if (!observed.shadowOid) return outcome;

  const decided = await acts.decideSituation({
    resourceOid: observed.resourceOid,
    shadowOid: observed.shadowOid,
    exists: observed.exists,
    object: observed.object,
    channel: change.channel,
  });
  outcome.situation = decided.situation;
  let ownerOid = decided.ownerOid;
  // `synchronize` is not a step of its own: it asks for the inbound and outbound phases below.
  const synchronizeAsked = decided.synchronize || decided.actions.some((a) => a.handler === 'synchronize');
  for (const action of decided.actions.filter((a) => a.handler !== 'synchronize')) {
    const done = await acts.runReactionAction({
      action,
      resourceOid: observed.resourceOid,
      shadowOid: observed.shadowOid,
      ownerOid,
      object: observed.object,
      channel: change.channel,
    });
    ownerOid = done.ownerOid;
    outcome.actions.push(`${action.handler}: ${done.message}`);
  }
  outcome.ownerOid = ownerOid;
  if (!synchronizeAsked || !ownerOid || !observed.object) return outcome;

  const inbound = await acts.applyInbound({
    resourceOid: observed.resourceOid,
    shadowOid: observed.shadowOid,
    ownerOid,
    object: observed.object,
    changedAttributes: change.attributeDeltas?.map((d) => d.path),
    channel: change.channel,
  });
  outcome.changedUserPaths = inbound.changedUserPaths;
  const newUser = decided.actions.some((a) => a.handler === 'addFocus');
  if (inbound.changedUserPaths.length > 0 || newUser || decided.situation !== 'linked') {
    outcome.provisioningWorkflowId = await acts.requestUserProvisioning({
      userOid: ownerOid,
      channel: change.channel,
      changedUserPaths: newUser ? undefined : inbound.changedUserPaths,
      requestId: `${workflowInfo().workflowId}/${workflowInfo().runId}/${change.token ?? change.secondaryIdentifier ?? ''}`,
    });
  }
  return outcome;
}
