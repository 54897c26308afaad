/**
 * Discovery: an operation found the resource other than the shadow said, and the inconsistency is
 * resolved before the operation finishes (the consistency mechanism's second layer).
 *
 * - add, "already exists": the conflicting object is read and correlated. If it is the same user's
 *   account, the shadow takes it over and the pending add becomes a modify to the computed values;
 *   otherwise the name is iterated (`jack1`, `jack2` ... up to maxIterations) and the conflicting
 *   object gets its own synchronization (channel `discovery`).
 * - modify/get, "not found": if an assignment still requires the account it is re-created (a pending
 *   add with the projected attributes); otherwise the shadow is deleted and unlinked.
 */
import { randomUUID } from 'node:crypto';
import type { PendingOperation, ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { accountForIteration, canIterate, maxIterations, PROTECTED_ACCOUNT, protectedAccountMessage, protectionOf, requireObjectType, type RoleEntitlements } from '../model';
import type { StoredResource, StoredRole } from '../repository/repository';
import { linkShadow, removeShadow } from './shadows';
import { recordFailedOperation } from './account-operations';
import { deltasToReach, isAccountRequired } from './discovery-rules';
import { fetchResourceObject } from './resource-objects';
import { classifyError, isResourceOutage } from './error-classification';
import { roleEntitlementsOf } from './role-entitlements';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';
import { resourceOf } from './resource-lookup';


export type DiscoveryOutcome =
  /** The shadow's pending operations were rewritten: execute them again. */
  | { outcome: 'retry'; message: string; /** The account found already there was linked to the owner. */ linked?: true }
  /** Nothing is left to do for the shadow (it may be gone). */
  | { outcome: 'done'; message: string }
  /** The operation can't be completed; it was recorded as the shadow's last failed operation. */
  | { outcome: 'failed'; message: string };

export interface DiscoveryInput {
  shadowOid: string;
  /** What the resource said: the object exists already, or it is missing. */
  found: 'existing' | 'missing';
  workflowId?: string;
}

export async function discoverAccount(deps: ProvisioningDeps, input: DiscoveryInput): Promise<DiscoveryOutcome> {
  const shadow = await deps.repo.shadows.get(input.shadowOid);
  if (!shadow) return { outcome: 'done', message: 'the shadow is gone' };
  return input.found === 'existing' ? resolveConflict(deps, shadow, input) : resolveMissing(deps, shadow);
}

// ---- "already exists" ----------------------------------------------------------------------

async function resolveConflict(deps: ProvisioningDeps, shadow: ShadowDoc, input: DiscoveryInput): Promise<DiscoveryOutcome> {
  const add = shadow.pendingOperations[0];
  if (!add) return { outcome: 'done', message: 'no pending operation left' };
  if (add.type !== 'add' || !shadow.secondaryIdentifier) {
    // A modify renaming the account onto a taken name: retrying can't help, and the name comes from mappings.
    const why = `${add.type} of ${shadow.secondaryIdentifier ?? shadow.oid}: the new name is already taken on the resource`;
    await failPendingOperation(deps, shadow.oid, add.id, why, 'already-exists');
    return { outcome: 'failed', message: why };
  }
  const resource = await resourceOf(deps, shadow.resourceRef);
  let conflict: ResourceObject | null;
  try {
    conflict = await fetchResourceObject(deps, resource.oid, { secondaryIdentifier: shadow.secondaryIdentifier }, shadow);
  } catch (e) {
    // The resource went away: executing the add again sorts it out.
    const error = classifyError(e);
    if (error.handling === 'postpone') return { outcome: 'retry', message: error.message };
    throw e;
  }
  if (!conflict) {
    // Taken by an object of another type (an LDAP group, an entry of another class): no one's account, so
    // nothing to correlate or report; the name is iterated. Gone meanwhile: executing the add again sorts it out.
    if (await nameTakenByOtherType(deps, resource.oid, shadow)) return iterateName(deps, resource, shadow, add);
    return { outcome: 'retry', message: `${shadow.secondaryIdentifier} is gone meanwhile` };
  }
  const protection = protectionOf(requireObjectType(resource, shadow.kind, shadow.intent), conflict);
  if (protection) {
    // Not linked, not changed, not reported: the name belongs to an account Tally leaves alone.
    const why = protectedAccountMessage('add', conflict.secondaryIdentifier, resource.name, protection);
    await failPendingOperation(deps, shadow.oid, add.id, why, PROTECTED_ACCOUNT);
    return { outcome: 'failed', message: why };
  }
  const owner = await ownerOf(deps, resource.oid, shadow, conflict);
  if (owner.userOid && owner.userOid === shadow.ownerRef) {
    if (owner.otherShadow) {
      // The user already has a shadow for that very account: this add was a duplicate.
      await removeShadow(deps, shadow);
      return { outcome: 'done', message: `${conflict.secondaryIdentifier} is already linked to the owner: duplicate add dropped` };
    }
    return takeOver(deps, shadow, add, conflict, input.workflowId);
  }
  const iterated = await iterateName(deps, resource, shadow, add);
  if (!owner.otherShadow?.ownerRef) {
    // The conflicting object is news to Tally (or unowned): the synchronization routine decides its fate.
    await deps.workflows.reportChange({
      resourceRef: resource.oid,
      channel: 'discovery',
      changeType: 'unknown',
      primaryIdentifier: conflict.primaryIdentifier,
      secondaryIdentifier: conflict.secondaryIdentifier,
    });
  }
  return iterated;
}

async function nameTakenByOtherType(deps: ProvisioningDeps, resourceOid: string, shadow: ShadowDoc): Promise<boolean> {
  const { connector } = await deps.connectors.connectorFor(resourceOid, shadow);
  try {
    return (await connector.nameTaken?.(shadow.secondaryIdentifier!)) ?? false;
  } catch (e) {
    if (isResourceOutage(e)) return false;
    throw e;
  }
}

/** Whose is the conflicting object: the owner of a shadow Tally has for it, else the correlated user. */
async function ownerOf(
  deps: ProvisioningDeps,
  resourceOid: string,
  shadow: ShadowDoc,
  conflict: ResourceObject,
): Promise<{ userOid: string | null; otherShadow: ShadowDoc | null }> {
  const found = await deps.repo.shadows.byIdentifiers(resourceOid, { primaryIdentifier: conflict.primaryIdentifier });
  const otherShadow = found && found.oid !== shadow.oid && !found.dead ? found : null;
  if (otherShadow?.ownerRef) return { userOid: otherShadow.ownerRef, otherShadow };
  return { userOid: deps.correlate ? await deps.correlate(resourceOid, conflict) : null, otherShadow };
}

/** The conflicting account is the owner's: link it, and turn the pending add into a modify to the computed values. */
async function takeOver(deps: ProvisioningDeps, shadow: ShadowDoc, add: PendingOperation, account: ResourceObject, workflowId?: string): Promise<DiscoveryOutcome> {
  const now = nowOf(deps);
  const delta = deltasToReach(add.attributes ?? {}, account.attributes);
  await deps.repo.shadows.modify(shadow.oid, (current) => {
    const [first, ...rest] = current.pendingOperations;
    if (first?.id !== add.id) return null;
    const { attributes: _attributes, executing: _executing, executingUntil: _until, ...op } = first;
    return {
      set: {
        primaryIdentifier: account.primaryIdentifier,
        secondaryIdentifier: account.secondaryIdentifier,
        attributes: account.attributes,
        exists: true,
        situation: 'linked' as const,
        situationTimestamp: now,
        pendingOperations: delta.length > 0 ? [{ ...op, type: 'modify' as const, delta }, ...rest] : rest,
        'metadata.modifyTimestamp': now,
        'metadata.modifyChannel': 'discovery',
      },
    };
  });
  await linkShadow(deps, shadow.oid, shadow.ownerRef!, now);
  await deps.repo.audit.write([
    {
      timestamp: now,
      channel: 'discovery',
      objectType: 'shadow',
      objectOid: shadow.oid,
      resourceRef: shadow.resourceRef,
      delta: { linked: account.secondaryIdentifier, modify: delta.map((d) => d.path) },
      workflowId,
      message: `add found ${account.secondaryIdentifier} already there; it correlates to the owner: linked`,
    },
  ]);
  return {
    outcome: 'retry',
    linked: true,
    message: `${account.secondaryIdentifier} already existed and belongs to the owner: linked${delta.length ? `, modifying ${delta.map((d) => d.path).join(', ')}` : ''}`,
  };
}

async function ownerAndRoles(deps: ProvisioningDeps, shadow: ShadowDoc): Promise<{ user: UserDoc | null; roles: StoredRole[]; roleEntitlements: RoleEntitlements }> {
  const user = shadow.ownerRef ? await deps.repo.users.get(shadow.ownerRef) : null;
  const { roles } = await deps.repo.config.snapshot();
  return { user, roles, roleEntitlements: await roleEntitlementsOf(deps, roles) };
}

/** The name is someone else's: try the next iteration of it, or give up after maxIterations. */
async function iterateName(deps: ProvisioningDeps, resource: StoredResource, shadow: ShadowDoc, add: PendingOperation): Promise<DiscoveryOutcome> {
  const objectType = requireObjectType(resource, shadow.kind, shadow.intent);
  const { user, roles, roleEntitlements } = await ownerAndRoles(deps, shadow);
  if (!user || !canIterate(shadow.iteration, objectType.iteration)) {
    const why = user
      ? `${shadow.secondaryIdentifier} already exists on ${resource.name} and is not this user's; no free name after ${maxIterations(objectType.iteration)} iteration(s)`
      : `${shadow.secondaryIdentifier} already exists on ${resource.name} and the shadow has no owner to compute another name for`;
    await failPendingOperation(deps, shadow.oid, add.id, why, 'already-exists');
    return { outcome: 'failed', message: why };
  }
  const iteration = shadow.iteration + 1;
  const account = accountForIteration({ user, resource, kind: shadow.kind, intent: shadow.intent, iteration, roles, roleEntitlements });
  const now = nowOf(deps);
  await deps.repo.shadows.modify(shadow.oid, (current) => ({
    set: {
      secondaryIdentifier: account.secondaryIdentifier,
      iteration,
      iterationToken: account.iterationToken,
      pendingOperations: current.pendingOperations.map((op) =>
        op.id === add.id ? { ...op, attributes: account.attributes, executing: false } : op,
      ),
      'metadata.modifyTimestamp': now,
    },
  }));
  return { outcome: 'retry', message: `${shadow.secondaryIdentifier} is taken by another owner: trying ${account.secondaryIdentifier}` };
}

// ---- "not found" ---------------------------------------------------------------------------

async function resolveMissing(deps: ProvisioningDeps, shadow: ShadowDoc): Promise<DiscoveryOutcome> {
  const { user, roles, roleEntitlements } = await ownerAndRoles(deps, shadow);
  const resources = (await deps.repo.config.snapshot()).resources;
  const resource = await resourceOf(deps, shadow.resourceRef);
  if (!user || shadow.dead || !isAccountRequired(user, shadow, { roles, resources })) {
    await removeShadow(deps, shadow);
    return { outcome: 'done', message: `${shadow.secondaryIdentifier ?? shadow.oid} is gone from ${resource.name} and no assignment requires it: shadow deleted` };
  }
  const account = accountForIteration({ user, resource, kind: shadow.kind, intent: shadow.intent, iteration: shadow.iteration, roles, roleEntitlements });
  const now = nowOf(deps);
  await deps.repo.shadows.modify(shadow.oid, (current) => {
    const previous = current.pendingOperations[0];
    const add: PendingOperation = {
      id: randomUUID(),
      type: 'add',
      attributes: account.attributes,
      attemptNumber: 0,
      requestTimestamp: now,
      result: { status: 'in-progress', message: 'account was missing on the resource: re-creating it' },
      channel: 'discovery',
      ...(previous?.workflowId ? { workflowId: previous.workflowId } : {}),
    };
    // The add carries the projected values, so waiting modifies are folded into it.
    return {
      set: {
        primaryIdentifier: null,
        secondaryIdentifier: account.secondaryIdentifier,
        exists: false,
        pendingOperations: [add],
        'metadata.modifyTimestamp': now,
        'metadata.modifyChannel': 'discovery',
      },
      unset: ['attributes'],
    };
  });
  return { outcome: 'retry', message: `${shadow.secondaryIdentifier} is gone from ${resource.name} but still assigned: re-creating it` };
}

async function failPendingOperation(deps: ProvisioningDeps, shadowOid: string, operationId: string, message: string, errorKind: string): Promise<void> {
  const op = (await deps.repo.shadows.get(shadowOid))?.pendingOperations.find((p) => p.id === operationId);
  if (op) await recordFailedOperation(deps, shadowOid, op, message, errorKind, nowOf(deps));
}
