/**
 * A role's own projection (midPoint's entitlement objects): the role is the focus, its assignments'
 * constructions of kind entitlement ask for its group, and the same projector and provisioning as a
 * user's accounts create, rename and delete it. Its holders' memberships point at the group by
 * `associationFromLink`, whose targets are the groups linked to the roles (provisioning's `roleEntitlementsOf`).
 */
import type { Assignment, Channel } from '../schema/config';
import type { ShadowDoc } from '../schema/objects';
import type { StoredRole } from '../repository/repository';
import { project, roleAsFocus, type AccountPlan } from '../model';
import { adoptExistingEntitlement, provisionAccounts, readAccount, type AccountResult } from '../provisioning';
import type { SyncDeps } from './sync-deps';

export interface ProvisionRoleInput {
  roleOid: string;
  channel: Channel;
  /** Assignments of the role this change removed: the entitlements they asked for go. */
  removedAssignments?: Assignment[];
  workflowId?: string;
}

export interface RoleProvisioningResult {
  plans: AccountPlan[];
  accounts: AccountResult[];
  /** A role being deleted: `deleted` once it is gone, else `waiting` for its entitlements' deletes. */
  deletion?: 'deleted' | 'waiting';
}

/** Recomputes the role's projection and provisions its entitlements that must change. */
export async function provisionRole(deps: SyncDeps, input: ProvisionRoleInput): Promise<RoleProvisioningResult> {
  let projected = await projectRole(deps, input);
  const adopted = await Promise.all(projected.plans.map((plan) => adoptExistingEntitlement(deps, input.roleOid, plan, input.channel)));
  if (adopted.some(Boolean)) projected = await projectRole(deps, input);
  const { plans, shadows } = projected;
  const accounts = plans.length > 0 ? await provisionAccounts(deps, { userOid: input.roleOid, plans, channel: input.channel, workflowId: input.workflowId }, shadows) : [];
  if (plans.some((p) => p.action === 'add')) await recomputeHolders(deps, input);
  if (!projected.deleting) return { plans, accounts };
  return { plans, accounts, deletion: (await deps.repo.config.removeDeletedRole(input.roleOid)) ? 'deleted' : 'waiting' };
}

/**
 * A new group of the role: its holders assigned before it existed become members by their recompute
 * (a membership needs the group's name, which only its creation gives).
 */
async function recomputeHolders(deps: SyncDeps, input: ProvisionRoleInput): Promise<void> {
  for (const holder of await deps.repo.users.assignedTo(input.roleOid, 100_000)) {
    await deps.workflows.requestUserProvisioning({ userOid: holder.oid, channel: input.channel, requestId: `role-group:${input.roleOid}:${holder.oid}:${input.workflowId ?? ''}` });
  }
}

async function projectRole(deps: SyncDeps, input: ProvisionRoleInput): Promise<{ plans: AccountPlan[]; shadows: ShadowDoc[]; deleting: boolean }> {
  // Read afresh: the configuration snapshot doesn't follow the role's links.
  const stored = (await deps.repo.config.object('Role', input.roleOid)) as StoredRole | null;
  if (!stored) return { plans: [], shadows: [], deleting: false };
  // A role being deleted is projected with its assignments removed: what they gave it goes.
  const deleting = !!stored.deletion;
  const role = deleting ? { ...stored, assignment: [] } : stored;
  const removedAssignments = deleting ? [...(input.removedAssignments ?? []), ...(stored.assignment ?? [])] : input.removedAssignments;
  const [{ resources, roles }, linked] = await Promise.all([
    deps.repo.config.snapshot(),
    deps.repo.shadows.linkedTo({ oid: role.oid, linkRef: role.linkRef ?? [] }).then((shadows) => shadows.filter((s) => !s.dead)),
  ]);
  const accounts = await Promise.all(linked.map(async (shadow) => ({ shadow, current: await readAccount(deps, shadow) })));
  const projection = project({ user: roleAsFocus(role, role.linkRef ?? []), roles, resources, accounts, removedAssignments });
  return { plans: projection.accounts.filter((p) => p.action !== 'keep'), shadows: linked, deleting };
}
