/**
 * The synchronization routine for one resource object, whatever found the change: shadow -> situation ->
 * reaction actions -> inbound -> provisioning of the owner's accounts (outbound).
 */
import type { AccountConstruction } from '../schema/config';
import type { ResourceChange, ShadowDoc, UserDoc } from '../schema/objects';
import { enforcedAttributes, findObjectType, isModelError, resolveAssignments, touchesEnforced } from '../model';
import { observeResourceObject } from './observe';
import { decideSituation } from './situation';
import { runReactionAction } from './focus-actions';
import { applyInbound } from './inbound';
import { provisionUser } from './projection';
import { resourceOf, resumePendingOperations } from '../provisioning';
import { nowOf, type SyncDeps } from './sync-deps';
import { changesApplied } from '../observability/metrics';
import { log } from '../observability/logger';

export interface ChangeOutcome {
  /** The account as the change names it, and its resource's name. */
  account?: string;
  resource?: string;
  /** False when neither the resource nor Tally knows the account: nothing was done. */
  found?: boolean;
  /** One line for people: what happened (the situation, the reaction, what was done). */
  summary?: string;
  shadowOid: string | null;
  /**
   * The situation, or `protected` for a protected account, `deprovisioned` for an account disabled
   * instead of deleted whose owner is gone (nothing was done).
   */
  situation: string | null;
  ownerOid: string | null;
  actions: string[];
  changedUserPaths: string[];
  /** What happened to the owner's accounts: `<resource>: <state> (<what was done>)`. */
  accounts: string[];
  /** provisionAccount workflows now holding an operation that must wait. */
  handedOver: string[];
}

export async function synchronizeChange(deps: SyncDeps, change: ResourceChange, workflowId?: string): Promise<ChangeOutcome> {
  return changeApplied(await synchronizeObserved(deps, change, workflowId), change, workflowId);
}

/** The outcome with its summary, counted in the changes applied (and logged at debug). */
export function changeApplied(outcome: ChangeOutcome, change: ResourceChange, workflowId?: string): ChangeOutcome {
  const summary = summarizeChangeOutcome(outcome);
  if (outcome.found !== false) changesApplied.inc({ resource: outcome.resource ?? change.resourceRef, situation: outcome.situation ?? 'none', channel: change.channel });
  if (log().enabled('debug')) log().debug('change applied', { resource: outcome.resource, channel: change.channel, situation: outcome.situation, summary, workflowId });
  return { ...outcome, summary };
}

async function synchronizeObserved(deps: SyncDeps, change: ResourceChange, workflowId?: string): Promise<ChangeOutcome> {
  const observed = await observeResourceObject(deps, change);
  const outcome: ChangeOutcome = {
    account: observed.object?.secondaryIdentifier ?? observed.shadow?.secondaryIdentifier ?? changeAccountName(change),
    resource: observed.resourceName,
    found: !!observed.shadowOid,
    shadowOid: observed.shadowOid,
    situation: null,
    ownerOid: null,
    actions: [],
    changedUserPaths: [],
    accounts: [],
    handedOver: [],
  };
  if (!observed.shadowOid) return outcome;
  if (observed.shadow?.protectedObject) {
    // A protected account is never correlated, linked or changed: its shadow is all Tally keeps of it.
    outcome.situation = 'protected';
    return outcome;
  }
  if (observed.exists && observed.shadow?.deprovisionedAt !== undefined && !observed.shadow.ownerRef) {
    // Disabled instead of deleted when its owner was deleted: nobody's by Tally's own decision, not to be
    // correlated (which could bring the deleted user back); it waits for its delayed delete.
    outcome.situation = 'deprovisioned';
    return outcome;
  }

  const decided = await decideSituation(deps, {
    resourceOid: observed.resourceOid,
    shadowOid: observed.shadowOid,
    exists: observed.exists,
    object: observed.object,
    channel: change.channel,
    shadow: observed.shadow,
  });
  outcome.situation = decided.situation;
  let ownerOid = decided.ownerOid;
  // `synchronize` is not a step of its own: it asks for the inbound and outbound phases below.
  const synchronizeAsked = decided.synchronize || decided.actions.some((a) => a.handler === 'synchronize');
  for (const action of decided.actions.filter((a) => a.handler !== 'synchronize')) {
    const done = await runReactionAction(deps, {
      action,
      resourceOid: observed.resourceOid,
      shadowOid: observed.shadowOid,
      ownerOid,
      object: observed.object,
      channel: change.channel,
      workflowId,
    });
    ownerOid = done.ownerOid;
    outcome.actions.push(`${action.handler}: ${done.message}`);
  }
  outcome.ownerOid = ownerOid;
  if (decided.situation === 'deleted' && decided.ownerOid && !ownerOid) {
    // The account is gone and unlinked: its former owner is recomputed, which creates it again when an
    // assignment still asks for it (as discovery does).
    await recomputeFormerOwner(deps, decided.ownerOid, change, outcome, workflowId);
    return outcome;
  }
  if (!synchronizeAsked || !ownerOid || !observed.object) return outcome;

  const inbound = await applyInbound(deps, {
    resourceOid: observed.resourceOid,
    shadowOid: observed.shadowOid,
    ownerOid,
    object: observed.object,
    changedAttributes: change.attributeDeltas?.map((d) => d.path),
    channel: change.channel,
    workflowId,
    shadow: observed.shadow,
    owner: decided.owner?.oid === ownerOid ? decided.owner : null,
  });
  outcome.changedUserPaths = inbound.changedUserPaths;
  const newUser = decided.actions.some((a) => a.handler === 'addFocus');
  // Reconciliation and import compare everything: "what should be" against "what is" on every account.
  const fullRecompute = newUser || change.channel === 'recon' || change.channel === 'import';
  // A user changed earlier whose provisioning never finished (an earlier attempt of this change died
  // half-way) is provisioned now, whatever this change did to him.
  const provisioningDue = !!inbound.user?.projectionDue;
  if (
    inbound.changedUserPaths.length === 0 &&
    !fullRecompute &&
    !provisioningDue &&
    decided.situation === 'linked' &&
    !(await enforcedValuesTouched(deps, change, observed.shadow, inbound.user))
  ) {
    // Nothing to provision. An earlier attempt of this change may have stored account operations and
    // died before executing them: whatever waits unclaimed goes to its workflow.
    const { shadowOids } = await resumePendingOperations(deps, undefined, { ownerRef: ownerOid, onlyStranded: { now: nowOf(deps) } });
    outcome.handedOver = shadowOids;
  } else {
    const provisioned = await provisionUser(
      deps,
      { userOid: ownerOid, channel: change.channel, changedUserPaths: fullRecompute ? undefined : inbound.changedUserPaths, workflowId },
      { user: inbound.user, accounts: { [observed.shadowOid]: observed.object } },
    );
    outcome.accounts = provisioned.accounts.map((a) => a.summary);
    outcome.handedOver = provisioned.accounts.filter((a) => a.state === 'handed-over').map((a) => a.shadowOid);
  }
  return outcome;
}

/**
 * Whether the change touched what the owner's mappings enforce (strong values, non-tolerant attributes,
 * memberships). Then the owner is recomputed with nothing changed on him: only strong and non-tolerant
 * mappings act, so what was put out of line is put back and values others may set are left.
 */
export async function enforcedValuesTouched(deps: SyncDeps, change: ResourceChange, shadow: ShadowDoc | null, owner: UserDoc | null): Promise<boolean> {
  const changed = change.attributeDeltas?.map((d) => d.path) ?? [];
  if (changed.length === 0 || !shadow) return false;
  const resource = await resourceOf(deps, shadow.resourceRef);
  const objectType = findObjectType(resource, shadow.kind, shadow.intent);
  if (!objectType) return false;
  let constructions: AccountConstruction[] = [];
  try {
    constructions = owner ? resolveAssignments(owner.assignment, (await deps.repo.config.snapshot()).roles).constructions.map((c) => c.construction) : [];
  } catch (e) {
    if (!isModelError(e)) throw e;
    return true; // the recompute says what is wrong with his roles
  }
  return touchesEnforced(changed, enforcedAttributes({ resource, objectType, constructions }));
}

async function recomputeFormerOwner(deps: SyncDeps, userOid: string, change: ResourceChange, outcome: ChangeOutcome, workflowId?: string): Promise<void> {
  const user = await deps.repo.users.get(userOid);
  if (!user) return;
  const provisioned = await provisionUser(deps, { userOid, channel: change.channel, workflowId }, { user });
  outcome.accounts = provisioned.accounts.map((a) => a.summary);
  outcome.handedOver = provisioned.accounts.filter((a) => a.state === 'handed-over').map((a) => a.shadowOid);
}

/** How a change names its account: by name, else by its stable identifier. */
export function changeAccountName(change: Pick<ResourceChange, 'secondaryIdentifier' | 'primaryIdentifier' | 'currentObject'>): string {
  return change.secondaryIdentifier ?? change.currentObject?.secondaryIdentifier ?? change.primaryIdentifier ?? change.currentObject?.primaryIdentifier ?? '?';
}

/** `no account X on resource Y`, the message for a change of an account nobody knows. */
export const noAccountMessage = (account: string, resource: string) => `no account ${account} on resource ${resource}`;

/** One line saying what a change did: `<situation>: <reaction>; <accounts>`, or that the account is unknown. */
export function summarizeChangeOutcome(outcome: ChangeOutcome): string {
  if (outcome.found === false) return noAccountMessage(outcome.account ?? '?', outcome.resource ?? '?');
  const reaction = outcome.actions.length ? outcome.actions.join('; ') : 'no reaction';
  const user = outcome.changedUserPaths.length ? `; user changed ${outcome.changedUserPaths.join(', ')}` : '';
  const accounts = outcome.accounts.length ? `; accounts: ${outcome.accounts.join('; ')}` : '';
  const waiting = outcome.handedOver.length ? `; ${outcome.handedOver.length} waiting in provisionAccount` : '';
  return `${outcome.account ?? outcome.shadowOid}: ${outcome.situation ?? 'no situation'}: ${reaction}${user}${accounts}${waiting}`;
}
