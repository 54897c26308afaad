/**
 * Provisioning synchronization: recompute one user (template, assignments, roles, outbound mappings) and
 * hand the difference to provisioning, which executes each account's operation or holds it durably.
 */
import type { Assignment, Channel } from '../schema/config';
import type { ItemDelta, ProjectionDue, ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { project, templateFor, type AccountPlan } from '../model';
import type { AuditRecord } from '../repository/audit-store';
import { provisionAccounts, readAccount, roleEntitlementsOf, type AccountResult } from '../provisioning';
import { changeUser } from './user-changes';
import { armValidityTimer } from './validity-timer';
import { recordDeprovisioning } from './deprovisioning';
import { nowOf, type SyncDeps } from './sync-deps';

export interface ProjectUserInput {
  userOid: string;
  channel: Channel;
  changedUserPaths?: string[];
  removedAssignments?: Assignment[];
  /** Assignments this change added; absent = unknown (see ProjectionInput). */
  addedAssignments?: Assignment[];
  workflowId?: string;
}

/** What the caller already holds, which saves reading it again (in-process callers only). */
export interface KnownState {
  user?: UserDoc;
  /** Accounts just read from their resource, by shadow oid. */
  accounts?: Record<string, ResourceObject>;
}

export interface ProjectUserResult {
  userChangedPaths: string[];
  /** The user's provisioning mark as the projection read it (removed once his accounts are provisioned). */
  due?: ProjectionDue;
  plans: AccountPlan[];
  /** The user's linked shadows, as read for the projection. */
  shadows: ShadowDoc[];
}

export async function projectUser(deps: SyncDeps, input: ProjectUserInput, known: KnownState = {}): Promise<ProjectUserResult> {
  const { repo } = deps;
  const user = known.user?.oid === input.userOid ? known.user : await repo.users.get(input.userOid);
  // A user being deleted gets no new accounts: his deletion deprovisions them (sync/user-deletion.ts).
  if (!user || user.deletion) return { userChangedPaths: [], plans: [], shadows: [] };
  const [{ resources, roles, objectTemplates: templates }, linked] = await Promise.all([
    repo.config.snapshot(),
    repo.shadows.linkedTo(user).then((linked) => linked.filter((shadow) => !shadow.dead)),
  ]);
  const template = templateFor(user, templates);
  const accounts = await Promise.all(linked.map(async (shadow) => ({ shadow, current: known.accounts?.[shadow.oid] ?? (await readAccount(deps, shadow)) })));

  const projection = project({
    user,
    changedUserPaths: pathsToProvision(input.changedUserPaths, user.projectionDue),
    template,
    roles,
    resources,
    accounts,
    removedAssignments: input.removedAssignments,
    addedAssignments: input.addedAssignments,
    now: nowOf(deps),
    roleEntitlements: await roleEntitlementsOf(deps, roles),
  });

  const now = nowOf(deps);
  const changed = await changeUser(repo, user.oid, input.channel, now, (current) =>
    // The projection's user differs from the stored one only by what the template set.
    current.version === user.version ? { ...projection.user, linkRef: current.linkRef, version: current.version } : current,
    user,
    // What the template sets is provisioned by this projection itself.
    { markProjectionDue: false },
  );
  if (changed && changed.changedPaths.length > 0) {
    await repo.audit.write([templateAudit(user.oid, projection.userDeltas, { now, channel: input.channel, workflowId: input.workflowId })]);
  }
  await armValidityTimer(deps, changed?.after ?? user, now);
  const shadows = await recordDeprovisioning(deps, projection.accounts, linked, input.channel);
  return {
    userChangedPaths: changed?.changedPaths ?? [],
    due: user.projectionDue,
    plans: projection.accounts.filter((p) => p.action !== 'keep'),
    shadows,
  };
}

/** The audit record of what the object template (and roles' focus mappings) changed on a user. */
export function templateAudit(userOid: string, deltas: ItemDelta[], meta: { now: string; channel: Channel; workflowId?: string }): AuditRecord {
  return { timestamp: meta.now, channel: meta.channel, objectType: 'user', objectOid: userOid, delta: deltas, workflowId: meta.workflowId, message: 'object template' };
}

/**
 * The paths whose normal mappings apply: this change's, and every change since the user's accounts were
 * last provisioned (one whose provisioning died half-way is provisioned with this one).
 */
export function pathsToProvision(changed: string[] | undefined, due: ProjectionDue | undefined): string[] | undefined {
  if (!changed || !due) return changed;
  return due.paths && [...new Set([...due.paths, ...changed])];
}

export interface UserProvisioningResult extends Omit<ProjectUserResult, 'shadows' | 'plans'> {
  /** The plans as done: an add that found the account already there and linked it says `link`. */
  plans: Array<Omit<AccountPlan, 'action'> & { action: AccountPlan['action'] | 'link' }>;
  accounts: AccountResult[];
}

/**
 * Recomputes the user and provisions every account that must change. Once every operation is executed or
 * held by its workflow, the user's provisioning mark is removed (unless a later change renewed it).
 */
export async function provisionUser(deps: SyncDeps, input: ProjectUserInput, known: KnownState = {}): Promise<UserProvisioningResult> {
  const { shadows, due, ...projection } = await projectUser(deps, input, known);
  const accounts =
    projection.plans.length > 0
      ? await provisionAccounts(deps, { userOid: input.userOid, plans: projection.plans, channel: input.channel, workflowId: input.workflowId }, shadows)
      : [];
  if (due) await deps.repo.users.clearProjectionDue(input.userOid, due.token);
  const linked = new Set(accounts.filter((a) => a.linked).map((a) => a.resourceRef));
  const plans = projection.plans.map((p) => (p.action === 'add' && linked.has(p.resourceRef) ? { ...p, action: 'link' as const, reason: `${p.reason}; found already there: linked` } : p));
  return { ...projection, plans, accounts };
}
