/**
 * Provisioning of a user's accounts: each planned operation is stored as a pending operation on its
 * shadow (merged with what is waiting there), then executed right away when nothing is in the way. An
 * account whose operation must wait (resource down, operations queued before it, another executor at
 * it) is handed to its `provisionAccount` workflow, which holds and retries it durably. Operations are
 * stored before anything is executed or handed over, so a crash in between loses nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Channel } from '../schema/config';
import type { AccountPlan } from '../model';
import type { AttributeDelta, PendingOperation, ShadowDoc } from '../schema/objects';
import { NAME_PATH } from '../connectors/connector-types';
import { requireObjectType } from '../model';
import { enqueueOperation, type RequestedOperation } from './pending-operations';
import { executeNextPendingOperation } from './account-operations';
import { claimUntil } from './claim-lease';
import { discoverAccount } from './discovery';
import { newShadow } from './shadows';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';
import { resourceOf } from './resource-lookup';

export interface AccountProvisioningInput {
  userOid: string;
  plans: AccountPlan[];
  channel: Channel;
  workflowId?: string;
}

export interface AccountResult {
  shadowOid: string;
  resourceRef: string;
  /** done: the resource has it; handed-over: its provisionAccount workflow holds it; dropped: nothing left to do. */
  state: 'done' | 'handed-over' | 'dropped';
  messages: string[];
  /** The account was found already there and linked (the add became a link). */
  linked?: boolean;
  /** One line for people: `<resource>: <state> (<what was done>)`. */
  summary: string;
}

export const summarized = (account: Omit<AccountResult, 'summary'>): AccountResult => ({
  ...account,
  summary: `${account.resourceRef}: ${account.linked && account.state === 'done' ? 'linked' : account.state}${account.messages.length ? ` (${account.messages.join('; ')})` : ''}`,
});

/** A modify plan that names the account otherwise (an outbound icfs:name mapping that applies) renames it. */
const renameOf = (plan: AccountPlan): AttributeDelta[] =>
  plan.action === 'modify' && plan.secondaryIdentifier !== undefined ? [{ path: NAME_PATH, replace: [plan.secondaryIdentifier] }] : [];

/** Steps one account may take here before the rest is left to its workflow. */
const MAX_INLINE_STEPS = 10;

/** `shadows`: the user's shadows as the caller just read them (they save a read each). */
export async function provisionAccounts(deps: ProvisioningDeps, input: AccountProvisioningInput, shadows: ShadowDoc[] = []): Promise<AccountResult[]> {
  const known = new Map(shadows.map((s) => [s.oid, s]));
  const queued: Array<{ shadowOid: string; resourceRef: string; executeNow: boolean; shadow: ShadowDoc }> = [];
  for (const plan of input.plans) {
    const requested: RequestedOperation =
      plan.action === 'add'
        ? { type: 'add', attributes: plan.attributes ?? {} }
        : plan.action === 'delete'
          ? { type: 'delete' }
          : { type: 'modify', delta: [...(plan.deltas ?? []), ...renameOf(plan)] };
    if (requested.type === 'modify' && requested.delta.length === 0) continue;
    const shadowOid = plan.action === 'add' ? await shadowForAdd(deps, input.userOid, plan, input.channel) : plan.shadowOid;
    if (!shadowOid) continue;
    const enqueued = await enqueueOnShadow(deps, shadowOid, requested, input, known.get(shadowOid));
    // Nothing left to do on the shadow (the operation cancelled what was waiting, or was already done).
    if (!enqueued || enqueued.shadow.pendingOperations.length === 0) continue;
    queued.push({ shadowOid, resourceRef: plan.resourceRef, executeNow: enqueued.wasIdle, shadow: enqueued.shadow });
  }
  return Promise.all(
    queued.map(async ({ shadowOid, resourceRef, executeNow, shadow }) => {
      if (executeNow) return summarized(await executeHere(deps, shadow, input.workflowId));
      await deps.workflows.requestAccountProvisioning({ shadowOid, resourceOid: resourceRef });
      return summarized({ shadowOid, resourceRef, state: 'handed-over', messages: ['queued behind operations already waiting'] });
    }),
  );
}

/** Runs the account's operations now (the first one claimed by the caller); whatever must wait goes to its workflow. */
export async function executeHere(deps: ProvisioningDeps, enqueued: ShadowDoc, workflowId?: string): Promise<Omit<AccountResult, 'summary'>> {
  const { oid: shadowOid, resourceRef } = enqueued;
  const result: Omit<AccountResult, 'summary'> = { shadowOid, resourceRef, state: 'done', messages: [] };
  for (let step = 0; step < MAX_INLINE_STEPS; step++) {
    // The first operation was claimed when it was queued.
    const first = step === 0;
    const outcome = await executeNextPendingOperation(deps, shadowOid, { workflowId, shadow: first ? enqueued : undefined, claimed: first });
    switch (outcome.outcome) {
      case 'idle':
        return result;
      case 'stale':
        continue;
      case 'done':
        result.messages.push(`${outcome.operation} done`);
        // An operation queued after the claim was handed to the account's workflow by whoever queued it.
        if (outcome.remaining === 0) return result;
        continue;
      case 'failed':
        result.messages.push(`${outcome.operation} failed: ${outcome.error.message}`);
        continue;
      case 'discovery': {
        const discovered = await discoverAccount(deps, { shadowOid, found: outcome.error.handling === 'discover-existing' ? 'existing' : 'missing', workflowId });
        if (discovered.outcome === 'retry' && discovered.linked) result.linked = true;
        result.messages.push(`discovery after ${outcome.operation} (${outcome.error.kind}): ${discovered.message}`);
        continue;
      }
      case 'postponed':
      case 'busy':
        result.messages.push(outcome.outcome === 'busy' ? 'another executor is at it' : `${outcome.operation} postponed: ${outcome.error}`);
        break;
    }
    break;
  }
  await deps.workflows.requestAccountProvisioning({ shadowOid, resourceOid: resourceRef });
  return { ...result, state: 'handed-over' };
}

async function shadowForAdd(deps: ProvisioningDeps, userOid: string, plan: AccountPlan, channel: Channel): Promise<string> {
  const user = await deps.repo.users.get(userOid);
  const existing = (user ? await deps.repo.shadows.linkedTo(user) : []).find(
    (s) => s.resourceRef === plan.resourceRef && s.kind === plan.kind && s.intent === plan.intent && !s.dead,
  );
  if (existing) return existing.oid;
  const resource = await resourceOf(deps, plan.resourceRef);
  const shadow = newShadow({
    resourceRef: resource.oid,
    objectType: requireObjectType(resource, plan.kind, plan.intent),
    primaryIdentifier: null,
    secondaryIdentifier: plan.secondaryIdentifier ?? null,
    exists: false,
    ownerRef: userOid,
    now: nowOf(deps),
    channel,
  });
  // Link first: a crash in between leaves a link to nothing (ignored), never a shadow nobody finds.
  await deps.repo.linkShadow(userOid, shadow.oid);
  await deps.repo.shadows.insert(shadow);
  return shadow.oid;
}

/**
 * Merges the operation into the shadow's queue. Null when that cancelled what was waiting and the shadow
 * is gone; `wasIdle` when nothing was queued before it (so it may run at once).
 */
async function enqueueOnShadow(
  deps: ProvisioningDeps,
  shadowOid: string,
  requested: RequestedOperation,
  meta: { channel: Channel; workflowId?: string },
  known?: ShadowDoc,
): Promise<{ wasIdle: boolean; shadow: ShadowDoc } | null> {
  const now = nowOf(deps);
  let drop = false;
  let wasIdle = false;
  let unlinkFrom: string | null = null;
  const stored = await deps.repo.shadows.modify(shadowOid, (shadow) => {
    const queued = enqueueOperation(shadow, requested, { id: randomUUID(), now, channel: meta.channel, workflowId: meta.workflowId });
    drop = queued.dropShadow;
    wasIdle = shadow.pendingOperations.length === 0 && queued.pendingOperations.length > 0;
    unlinkFrom = queued.dead ? shadow.ownerRef : null;
    // Nothing was waiting: this executor claims the operation with the same write, and runs it at once.
    const [first, ...rest] = queued.pendingOperations;
    const pendingOperations = wasIdle ? [claimed(first!, now, meta.workflowId), ...rest] : queued.pendingOperations;
    return {
      set: {
        pendingOperations,
        dead: queued.dead,
        ...(queued.dead ? { ownerRef: null } : {}),
        ...(queued.renameTo !== undefined ? { secondaryIdentifier: queued.renameTo } : {}),
        'metadata.modifyTimestamp': now,
        'metadata.modifyChannel': meta.channel,
      },
    };
  }, known);
  if (!stored) return null;
  if (unlinkFrom) await deps.repo.unlinkShadow(unlinkFrom, shadowOid);
  if (drop) {
    await deps.repo.shadows.delete(shadowOid);
    return null;
  }
  return { wasIdle, shadow: stored };
}

/** The operation claimed by an executor running inside `workflowId`'s activity (shown to people reading the shadow). */
const claimed = (operation: PendingOperation, now: string, workflowId?: string): PendingOperation => ({
  ...operation,
  executing: true,
  executingUntil: claimUntil(now),
  executingBy: `inline:${workflowId ?? 'no workflow'}`,
});

/** A new shadow holding its first operation, claimed by the caller who executes it (bulk creation). */
export function withClaimedOperation(shadow: ShadowDoc, requested: RequestedOperation, meta: { now: string; channel: Channel; workflowId?: string }): ShadowDoc {
  const [first, ...rest] = enqueueOperation(shadow, requested, { id: randomUUID(), ...meta }).pendingOperations;
  return { ...shadow, pendingOperations: first ? [claimed(first, meta.now, meta.workflowId), ...rest] : [] };
}
