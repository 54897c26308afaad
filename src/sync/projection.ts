/**
 * Provisioning synchronization: recompute one user (template, assignments, roles, outbound mappings) and
 * turn the difference into pending operations on the user's shadows, each handed to its account workflow.
 */
import { randomUUID } from 'node:crypto';
import type { Assignment, Channel } from '../schema/config';
import type { ResourceObject, ShadowDoc } from '../schema/objects';
import { project, type AccountPlan } from '../model';
import { enqueueOperation, type RequestedOperation } from '../provisioning/pending-operations';
import { defaultObjectType, newShadow } from '../provisioning/shadows';
import { modifyWithRetry } from '../repository/versioned';
import { addLinkRef, removeLinkRef } from '../repository/user-links';
import { requestAccountProvisioning } from '../client/workflow-starts';
import { changeUser } from './user-changes';
import { nowOf, type SyncDeps } from './sync-deps';

export interface ProjectUserInput {
  userOid: string;
  channel: Channel;
  changedUserPaths?: string[];
  removedAssignments?: Assignment[];
  workflowId?: string;
}

export interface ProjectUserResult {
  userChangedPaths: string[];
  plans: AccountPlan[];
}

export async function projectUser(deps: SyncDeps, input: ProjectUserInput): Promise<ProjectUserResult> {
  const { repo } = deps;
  const user = await repo.user(input.userOid);
  if (!user) return { userChangedPaths: [], plans: [] };
  const [resources, roles, templates, shadows] = await Promise.all([
    repo.allConfig(repo.resources),
    repo.allConfig(repo.roles),
    repo.allConfig(repo.objectTemplates),
    repo.linkedShadows(user).then((linked) => linked.filter((shadow) => !shadow.dead)),
  ]);
  const template =
    templates.find((t) => t.oid === user.templateRef || t.name === user.templateRef) ?? (templates.length === 1 ? templates[0] : undefined);
  const accounts = await Promise.all(shadows.map(async (shadow) => ({ shadow, current: await readCurrent(deps, shadow) })));

  const projection = project({
    user,
    changedUserPaths: input.changedUserPaths,
    template,
    roles,
    resources,
    accounts,
    removedAssignments: input.removedAssignments,
  });

  const now = nowOf(deps);
  const changed = await changeUser(repo, user.oid, input.channel, now, (current) =>
    // The projection's user differs from the stored one only by what the template set.
    current.version === user.version ? { ...projection.user, linkRef: current.linkRef, version: current.version } : current,
  );
  if (changed && changed.changedPaths.length > 0) {
    await repo.writeAudit([
      { timestamp: now, channel: input.channel, objectType: 'user', objectOid: user.oid, delta: projection.userDeltas, workflowId: input.workflowId, message: 'object template' },
    ]);
  }
  return {
    userChangedPaths: changed?.changedPaths ?? [],
    plans: projection.accounts.filter((p) => p.action !== 'keep'),
  };
}

/** The account as it is now, or null when it can't be read (then the shadow's cached values stand in). */
async function readCurrent(deps: SyncDeps, shadow: ShadowDoc): Promise<ResourceObject | null> {
  if (!shadow.exists || !shadow.primaryIdentifier) return null;
  try {
    const { connector } = await deps.connectors.connectorFor(shadow.resourceRef);
    return await connector.get({ primaryIdentifier: shadow.primaryIdentifier, secondaryIdentifier: shadow.secondaryIdentifier ?? undefined });
  } catch {
    return null;
  }
}

/**
 * Writes each plan as a pending operation on its shadow (creating the shadow for an add) and starts or
 * wakes the shadow's provisioning workflow. Operations are stored before any workflow is told, so a
 * crash between the two loses nothing: reconciliation finds the pending operation.
 */
export async function enqueueAccountOperations(
  deps: SyncDeps,
  input: { userOid: string; plans: AccountPlan[]; channel: Channel; workflowId?: string },
): Promise<{ shadowOids: string[] }> {
  const shadowOids: string[] = [];
  for (const plan of input.plans) {
    const shadowOid = plan.action === 'add' ? await shadowForAdd(deps, input.userOid, plan) : plan.shadowOid;
    if (!shadowOid) continue;
    const requested: RequestedOperation =
      plan.action === 'add'
        ? { type: 'add', attributes: plan.attributes ?? {} }
        : plan.action === 'delete'
          ? { type: 'delete' }
          : { type: 'modify', delta: plan.deltas ?? [] };
    if (requested.type === 'modify' && requested.delta.length === 0) continue;
    const dropped = await enqueueOnShadow(deps, shadowOid, requested, input);
    if (!dropped) shadowOids.push(shadowOid);
  }
  for (const shadowOid of shadowOids) {
    const shadow = await deps.repo.shadow(shadowOid);
    await requestAccountProvisioning(deps.temporal, { shadowOid, resourceOid: shadow?.resourceRef });
  }
  return { shadowOids };
}

async function shadowForAdd(deps: SyncDeps, userOid: string, plan: AccountPlan): Promise<string> {
  const user = await deps.repo.user(userOid);
  const existing = (user ? await deps.repo.linkedShadows(user) : []).find(
    (s) => s.resourceRef === plan.resourceRef && s.kind === plan.kind && s.intent === plan.intent && !s.dead,
  );
  if (existing) return existing.oid;
  const resource = await deps.connectors.resource(plan.resourceRef);
  const shadow = newShadow({
    resourceRef: resource.oid,
    objectType: defaultObjectType(resource, plan.kind, plan.intent),
    primaryIdentifier: null,
    secondaryIdentifier: plan.secondaryIdentifier ?? null,
    exists: false,
    ownerRef: userOid,
    now: nowOf(deps),
    channel: 'user',
  });
  // Link first: a crash in between leaves a link to nothing (ignored), never a shadow nobody finds.
  await addLinkRef(deps.repo, userOid, shadow.oid);
  await deps.repo.insertShadow(shadow);
  return shadow.oid;
}

/** Returns true when the operation cancelled what was waiting and the shadow is gone. */
async function enqueueOnShadow(
  deps: SyncDeps,
  shadowOid: string,
  requested: RequestedOperation,
  meta: { channel: Channel; workflowId?: string },
): Promise<boolean> {
  const now = nowOf(deps);
  let drop = false;
  let unlinkFrom: string | null = null;
  await modifyWithRetry(deps.repo.shadows, shadowOid, (shadow) => {
    const queued = enqueueOperation(shadow, requested, { id: randomUUID(), now, channel: meta.channel, workflowId: meta.workflowId });
    drop = queued.dropShadow;
    unlinkFrom = queued.dead ? shadow.ownerRef : null;
    return {
      $set: {
        pendingOperations: queued.pendingOperations,
        dead: queued.dead,
        ...(queued.dead ? { ownerRef: null } : {}),
        'metadata.modifyTimestamp': now,
      },
    };
  });
  if (unlinkFrom) {
    await removeLinkRef(deps.repo, unlinkFrom, shadowOid);
  }
  if (drop) await deps.repo.deleteShadow(shadowOid);
  return drop;
}
