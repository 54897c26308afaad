/**
 * Reaction actions on the focus (user) and the shadow: add/delete/inactivate the user, link/unlink
 * the account, drop the shadow. Each is idempotent, so an activity retry does no harm.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, ReactionAction, ResourceConfig } from '../schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { applyTemplate, applyUserDeltas, computeInbound, requireObjectType, templateFor } from '../model';
import { isDuplicateKeyError } from '../repository/errors';
import { ConfigurationLookupError } from '../model/resources';
import { linkShadow, resourceOf, unlinkShadow } from '../provisioning';
import { nowOf, type SyncDeps } from './sync-deps';
import { withGeneratedPassword } from './generated-password';
import { projectionDueAfter } from './user-changes';
import { markForDeletion } from './user-deletion';
import type { SecretKey } from '../security/secret-key';

export interface ActionInput {
  action: ReactionAction;
  resourceOid: string;
  shadowOid: string;
  ownerOid: string | null;
  object: ResourceObject | null;
  channel: Channel;
  workflowId?: string;
}

export interface ActionResult {
  /** The user the account belongs to after the action (null when unlinked or deleted). */
  ownerOid: string | null;
  message: string;
}

export async function runReactionAction(deps: SyncDeps, input: ActionInput): Promise<ActionResult> {
  switch (input.action.handler) {
    case 'addFocus':
      return addFocus(deps, input);
    case 'link':
      if (!input.ownerOid) throw new Error('link needs exactly one owner candidate');
      await link(deps, input.shadowOid, input.ownerOid);
      return { ownerOid: input.ownerOid, message: `linked to ${input.ownerOid}` };
    case 'unlink':
      await unlink(deps, input.shadowOid);
      return { ownerOid: null, message: 'unlinked' };
    case 'deleteFocus':
      return deleteFocus(deps, input);
    case 'inactivateFocus':
      if (input.ownerOid) {
        await deps.repo.users.setProperties(input.ownerOid, {
          'activation.administrativeStatus': 'disabled',
          'metadata.modifyTimestamp': nowOf(deps),
          'metadata.modifyChannel': input.channel,
        });
      }
      return { ownerOid: input.ownerOid, message: 'user disabled' };
    case 'deleteShadow':
      await unlink(deps, input.shadowOid);
      await deps.repo.shadows.delete(input.shadowOid);
      return { ownerOid: null, message: 'shadow deleted' };
    case 'inactivateShadow':
      await deps.repo.shadows.patch(input.shadowOid, { set: { dead: true } });
      return { ownerOid: input.ownerOid, message: 'shadow marked dead' };
    case 'synchronize':
      return { ownerOid: input.ownerOid, message: 'synchronize' };
  }
}

/** unmatched -> a new user built from the account by inbound mappings, linked to it. */
async function addFocus(deps: SyncDeps, input: ActionInput): Promise<ActionResult> {
  if (!input.object) throw new Error('addFocus needs the resource object');
  const shadow = await deps.repo.shadows.get(input.shadowOid);
  if (shadow?.ownerRef) return { ownerOid: shadow.ownerRef, message: 'already linked' };
  const resource = await resourceOf(deps, input.resourceOid);
  const now = nowOf(deps);
  const fromAccount = newUserFromAccount({ resource, shadow, object: input.object, channel: input.channel, templateRef: input.action.objectTemplateRef, now, secretKey: deps.secretKey });
  // Stored with the template applied, as the bulk import stores its users: nobody reads him half made.
  const user = applyTemplate({ user: fromAccount, template: templateFor(fromAccount, (await deps.repo.config.snapshot()).objectTemplates) }).user;
  try {
    // Due for provisioning from the start: the routine provisions him next, or the sweeper does if it dies first.
    await deps.repo.users.insert({ ...user, projectionDue: projectionDueAfter(undefined, undefined, now) });
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    // A retry of this activity, or a concurrent creation: link to the user of that name.
    const existing = await deps.repo.users.byName(user.name);
    if (!existing) throw e;
    await link(deps, input.shadowOid, existing.oid);
    return { ownerOid: existing.oid, message: `user ${existing.name} already existed; linked` };
  }
  await link(deps, input.shadowOid, user.oid);
  await deps.repo.audit.write([
    { timestamp: now, channel: input.channel, objectType: 'user', objectOid: user.oid, delta: { add: { name: user.name } }, workflowId: input.workflowId },
  ]);
  return { ownerOid: user.oid, message: `user ${user.name} created` };
}

/** unmatched -> addFocus: the user the account's inbound mappings make (not stored yet). */
export function newUserFromAccount(input: {
  resource: ResourceConfig;
  shadow: Pick<ShadowDoc, 'kind' | 'intent'> | null;
  object: ResourceObject;
  channel: Channel;
  templateRef?: string;
  now: string;
  /** Seals a generated password, when the object type's password inbound generates one. */
  secretKey?: SecretKey;
}): UserDoc {
  const objectType = requireObjectType(input.resource, input.shadow?.kind, input.shadow?.intent);
  const { now, channel } = input;
  const empty: UserDoc = {
    oid: randomUUID(),
    name: '',
    assignment: [],
    linkRef: [],
    version: 1,
    metadata: { createTimestamp: now, modifyTimestamp: now, createChannel: channel, modifyChannel: channel },
    ...(input.templateRef ? { templateRef: input.templateRef } : {}),
  };
  const user = applyUserDeltas(empty, computeInbound({ objectType, account: input.object, user: null }));
  if (!user.name) {
    throw new ConfigurationLookupError(`addFocus: the inbound mappings of ${input.resource.name} give the new user no name (map an attribute to $user/name)`);
  }
  return withGeneratedPassword(user, objectType, input.secretKey, now);
}

/**
 * The owner is deleted as `tally user delete` deletes him: by his `deleteUser` workflow, which deprovisions
 * his accounts as his assignments say. He is marked as being deleted before this returns, so the recompute
 * of a deleted account's former owner that follows gives him nothing back. Cut short before the start, the
 * change's retry finds the account still his and asks again; a start twice joins the one running.
 */
async function deleteFocus(deps: SyncDeps, input: ActionInput): Promise<ActionResult> {
  if (!input.ownerOid) return { ownerOid: null, message: 'no owner to delete' };
  const owner = await deps.repo.users.get(input.ownerOid);
  if (!owner) return { ownerOid: null, message: `user ${input.ownerOid} already gone` };
  const workflowId = await deps.workflows.requestUserDeletion({ userOid: owner.oid, channel: input.channel });
  await markForDeletion(deps, owner, { channel: input.channel, workflowId });
  return { ownerOid: null, message: `user ${owner.name}: deleteUser ${workflowId} deprovisions his accounts, then removes him` };
}

async function link(deps: SyncDeps, shadowOid: string, userOid: string): Promise<void> {
  await linkShadow(deps, shadowOid, userOid, nowOf(deps));
}

async function unlink(deps: SyncDeps, shadowOid: string): Promise<void> {
  const shadow = await deps.repo.shadows.get(shadowOid);
  if (shadow) await unlinkShadow(deps, shadow);
}
