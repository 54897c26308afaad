/**
 * Deleting a user: his accounts are deprovisioned as his assignments say (each account whose assignment
 * goes away is deleted, per its resource's `assignmentPolicyEnforcement`; one the resource keeps without
 * an assignment is unlinked and left on the resource; one its object type disables instead of deleting is
 * disabled and unlinked), and the user is removed only when every delete is done. A delete that must wait (its resource is down) waits as a pending operation in its
 * provisionAccount workflow; this step is then called again until it is done.
 *
 * One step is idempotent: it marks the user (versioned), deprovisions whatever is still linked, and
 * removes the user when nothing it waits for is pending any more, guarded by the user's version.
 */
import type { Channel } from '../schema/config';
import type { ShadowDoc, UserDoc } from '../schema/objects';
import { project } from '../model';
import { provisionAccounts, unlinkShadow } from '../provisioning';
import { changeUser } from './user-changes';
import { recordDeprovisioning } from './deprovisioning';
import { nowOf, type SyncDeps } from './sync-deps';

export interface UserDeletionStepInput {
  userOid: string;
  channel: Channel;
  /** Shadows whose delete an earlier step handed over. */
  waitingFor?: string[];
  workflowId?: string;
}

export interface DeprovisionedAccount {
  shadowOid: string;
  resource: string;
  /**
   * delete: the account is deleted from the resource; unlink: the resource keeps it, without an owner;
   * disable: the resource keeps it disabled, without an owner (reconciliation deletes it after `deleteAfter`).
   */
  action: 'delete' | 'unlink' | 'disable';
  /** done | waiting (its delete is pending: the resource is down) | failed (given up; see the shadow) */
  state: 'done' | 'waiting' | 'failed';
  message?: string;
}

export interface UserDeletionStep {
  /** deleted: the user is gone now (or was already); waiting: deletes are still pending. */
  state: 'deleted' | 'waiting';
  userName?: string;
  accounts: DeprovisionedAccount[];
  /** Shadows whose delete is still pending (give them to the next step). */
  waitingFor: string[];
}

/**
 * Marks the user as being deleted by this workflow (versioned; a user marked already stays as he is): from
 * now on no recompute gives him accounts. Null when he is gone.
 */
export async function markForDeletion(deps: SyncDeps, user: UserDoc, input: Pick<UserDeletionStepInput, 'channel' | 'workflowId'>): Promise<UserDoc | null> {
  if (user.deletion) return user;
  const now = nowOf(deps);
  const changed = await changeUser(deps.repo, user.oid, input.channel, now, (current) => ({ ...current, deletion: { workflowId: input.workflowId ?? '', requestedAt: now } }), user, {
    // The deletion deprovisions his accounts itself.
    markProjectionDue: false,
  });
  return changed?.after ?? null;
}

/** The linked accounts' fate: the projection of the user with every assignment removed, template left out. */
async function deprovision(deps: SyncDeps, user: UserDoc, input: UserDeletionStepInput, shadows: ShadowDoc[]): Promise<DeprovisionedAccount[]> {
  const { resources, roles } = await deps.repo.config.snapshot();
  const resourceName = async (oid: string) => (await deps.repo.config.resource(oid))?.name ?? oid;
  const projection = project({
    user: { ...user, assignment: [] },
    roles,
    resources,
    accounts: shadows.map((shadow) => ({ shadow, current: null })),
    removedAssignments: user.assignment,
  });
  const deletes = projection.accounts.filter((p) => p.action === 'delete');
  const done: DeprovisionedAccount[] = [];
  const kept = projection.accounts.filter((p) => p.action !== 'delete' && p.shadowOid);
  // Disabled while still his (the operation is his account's), then unlinked: a disable that must wait stays pending on the shadow.
  const disabling = kept.filter((p) => p.deprovisioning === 'disable');
  const recorded = await recordDeprovisioning(deps, disabling, shadows, input.channel);
  const disabled = await provisionAccounts(deps, { userOid: user.oid, plans: disabling.filter((p) => p.action === 'modify'), channel: input.channel, workflowId: input.workflowId }, recorded);
  for (const plan of kept) {
    const shadow = shadows.find((s) => s.oid === plan.shadowOid)!;
    await unlinkShadow(deps, shadow);
    const result = disabled.find((r) => r.shadowOid === shadow.oid);
    const action = plan.deprovisioning === 'disable' ? 'disable' : 'unlink';
    done.push({ shadowOid: shadow.oid, resource: await resourceName(shadow.resourceRef), action, state: 'done', message: result?.messages.join('; ') || plan.reason });
  }
  if (deletes.length === 0) return done;
  const results = await provisionAccounts(deps, { userOid: user.oid, plans: deletes, channel: input.channel, workflowId: input.workflowId }, shadows);
  for (const plan of deletes) {
    const result = results.find((r) => r.shadowOid === plan.shadowOid);
    done.push({
      shadowOid: plan.shadowOid!,
      resource: await resourceName(plan.resourceRef),
      action: 'delete',
      state: result?.state === 'handed-over' ? 'waiting' : 'done',
      message: result?.messages.join('; ') || plan.reason,
    });
  }
  return done;
}

/** Of the shadows whose delete was handed over: those whose delete is still pending, and those given up. */
async function pendingDeletes(deps: SyncDeps, shadowOids: readonly string[]): Promise<{ waiting: ShadowDoc[]; failed: ShadowDoc[] }> {
  const shadows = await deps.repo.shadows.byOids(shadowOids);
  return {
    waiting: shadows.filter((s) => s.pendingOperations.some((op) => op.type === 'delete')),
    failed: shadows.filter((s) => !s.pendingOperations.some((op) => op.type === 'delete') && s.lastFailedOperation?.type === 'delete'),
  };
}

export async function userDeletionStep(deps: SyncDeps, input: UserDeletionStepInput): Promise<UserDeletionStep> {
  const { repo } = deps;
  const found = await repo.users.get(input.userOid);
  if (!found) return { state: 'deleted', accounts: [], waitingFor: [] };
  const user = await markForDeletion(deps, found, input);
  if (!user) return { state: 'deleted', accounts: [], waitingFor: [] };

  const linked = (await repo.shadows.linkedTo(user)).filter((s) => !s.dead);
  const accounts = linked.length > 0 ? await deprovision(deps, user, input, linked) : [];
  const awaited = [...new Set([...(input.waitingFor ?? []), ...accounts.filter((a) => a.action === 'delete').map((a) => a.shadowOid)])];
  const { waiting, failed } = await pendingDeletes(deps, awaited);
  for (const account of accounts) {
    if (waiting.some((s) => s.oid === account.shadowOid)) account.state = 'waiting';
    const gaveUp = failed.find((s) => s.oid === account.shadowOid);
    if (gaveUp) Object.assign(account, { state: 'failed', message: gaveUp.lastFailedOperation?.result.message });
  }
  if (waiting.length > 0) return { state: 'waiting', userName: user.name, accounts, waitingFor: waiting.map((s) => s.oid) };

  // Nothing pending: the user goes, unless he changed meanwhile (a new link): then the next step looks again.
  const current = await repo.users.get(user.oid);
  if (!current) return { state: 'deleted', userName: user.name, accounts, waitingFor: [] };
  const stillLinked = (await repo.shadows.linkedTo(current)).some((s) => !s.dead);
  if (stillLinked || !(await repo.users.deleteAtVersion(current.oid, current.version))) {
    return { state: 'waiting', userName: user.name, accounts, waitingFor: [] };
  }
  await repo.audit.write([
    {
      timestamp: nowOf(deps),
      channel: input.channel,
      objectType: 'user',
      objectOid: user.oid,
      delta: { deleted: user.name, accounts: accounts.map((a) => `${a.resource}: ${a.action} ${a.state}`) },
      workflowId: input.workflowId,
      message: 'user deleted',
    },
  ]);
  return { state: 'deleted', userName: user.name, accounts, waitingFor: [] };
}
