/**
 * Shadows: the repository's memory of resource objects. A shadow is created before anything else is
 * done for a resource object, holding its identifiers; links between shadows and users are kept here.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectTypeDefinition, ResourceConfig } from '../schema/config';
import type { ResourceObject, ShadowDoc } from '../schema/objects';
import type { ShadowIdentifiers } from '../repository/repository';
import type { ProvisioningDeps } from './provisioning-deps';
import { requireObjectType } from '../model/resources';
import { isProtected } from '../model/protected-accounts';
import { sameValuesMatching, type MatchingRuleName } from '../model/matching-rules';

export function newShadow(fields: {
  resourceRef: string;
  objectType: ObjectTypeDefinition;
  primaryIdentifier: string | null;
  secondaryIdentifier: string | null;
  exists: boolean;
  ownerRef?: string | null;
  now: string;
  channel?: string;
}): ShadowDoc {
  return {
    oid: randomUUID(),
    resourceRef: fields.resourceRef,
    objectClass: fields.objectType.objectClass,
    kind: fields.objectType.kind,
    intent: fields.objectType.intent,
    primaryIdentifier: fields.primaryIdentifier,
    secondaryIdentifier: fields.secondaryIdentifier,
    ownerRef: fields.ownerRef ?? null,
    // Provisioning creates shadows for their owner: they start linked.
    ...(fields.ownerRef ? { situation: 'linked' as const, situationTimestamp: fields.now } : {}),
    exists: fields.exists,
    dead: false,
    iteration: 0,
    iterationToken: '',
    pendingOperations: [],
    version: 1,
    metadata: { createTimestamp: fields.now, modifyTimestamp: fields.now, createChannel: fields.channel, modifyChannel: fields.channel },
  };
}

/**
 * Whether two attribute sets hold the same values (in any order within an attribute); exactly, or under
 * each attribute's matching rule when `ruleOf` is given.
 */
export function sameAttributes(a: ShadowDoc['attributes'], b: ShadowDoc['attributes'], ruleOf?: (attribute: string) => MatchingRuleName): boolean {
  const keys = Object.keys(a ?? {});
  if (keys.length !== Object.keys(b ?? {}).length) return false;
  return keys.every((k) => {
    const x = a![k] ?? [];
    const y = b?.[k];
    if (!y || x.length !== y.length) return false;
    const rule = ruleOf?.(k);
    if (rule && rule !== 'default') return sameValuesMatching(rule, x, y);
    if (x.length === 1) return String(x[0]) === String(y[0]);
    const sorted = (v: readonly unknown[]) => v.map(String).sort().join('\u0000');
    return sorted(x) === sorted(y);
  });
}

/**
 * The shadow of the account a change names. A change names an account: an entitlement's shadow (a role's
 * group) under that name or id is no account's, and is left as it is (not marked gone because no account
 * of that name exists).
 */
export async function accountShadowByIdentifiers(deps: Pick<ProvisioningDeps, 'repo'>, resourceRef: string, ids: ShadowIdentifiers): Promise<ShadowDoc | null> {
  const shadow = await deps.repo.shadows.byIdentifiers(resourceRef, ids);
  return shadow?.kind === 'account' ? shadow : null;
}

/**
 * Finds the shadow of a resource object, or creates one holding its identifiers. Renames (a new
 * secondary identifier for a known primary one) update the shadow; nothing is written when nothing changed.
 */
export async function ensureShadow(
  deps: Pick<ProvisioningDeps, 'repo'>,
  resource: ResourceConfig & { oid: string },
  object: Pick<ResourceObject, 'primaryIdentifier' | 'secondaryIdentifier'> & { attributes?: ResourceObject['attributes'] },
  channel: string,
  now = new Date().toISOString(),
): Promise<{ shadow: ShadowDoc; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await deps.repo.shadows.byIdentifiers(resource.oid, object);
    if (existing) {
      const renamed = existing.secondaryIdentifier !== object.secondaryIdentifier && !!object.secondaryIdentifier;
      const identified = !existing.primaryIdentifier && !!object.primaryIdentifier;
      const attributesChanged = !!object.attributes && !sameAttributes(existing.attributes, object.attributes);
      const reappeared = !existing.exists && !existing.dead && existing.pendingOperations.length === 0;
      // Without attributes a filter on them can't be judged: what was known stays.
      const protectedObject =
        isProtected(requireObjectType(resource, existing.kind, existing.intent), object) || (!object.attributes && (existing.protectedObject ?? false));
      const protectionChanged = protectedObject !== (existing.protectedObject ?? false);
      if (!renamed && !identified && !attributesChanged && !reappeared && !protectionChanged) return { shadow: existing, created: false };
      const updated = await deps.repo.shadows.patch(existing.oid, {
        set: {
          secondaryIdentifier: object.secondaryIdentifier,
          primaryIdentifier: object.primaryIdentifier ?? existing.primaryIdentifier,
          ...(object.attributes ? { attributes: object.attributes } : {}),
          ...(reappeared ? { exists: true } : {}),
          ...(protectionChanged ? { protectedObject } : {}),
          'metadata.modifyTimestamp': now,
          'metadata.modifyChannel': channel,
        },
      });
      return { shadow: updated ?? existing, created: false };
    }
    const shadow = newShadow({
      resourceRef: resource.oid,
      objectType: requireObjectType(resource),
      primaryIdentifier: object.primaryIdentifier,
      secondaryIdentifier: object.secondaryIdentifier,
      exists: true,
      now,
      channel,
    });
    if (object.attributes) shadow.attributes = object.attributes;
    if (isProtected(requireObjectType(resource), object)) shadow.protectedObject = true;
    // false: a concurrent change created the shadow first; the next lookup finds it.
    if (await deps.repo.shadows.insert(shadow)) return { shadow, created: true };
  }
  throw new Error(`could not create a shadow for ${object.secondaryIdentifier} on ${resource.name}`);
}

/** The resource object is gone: the shadow remembers that (no write when it already knew). */
export async function markShadowGone(deps: Pick<ProvisioningDeps, 'repo'>, shadow: ShadowDoc, channel: string, now = new Date().toISOString()): Promise<void> {
  if (shadow.exists) await deps.repo.shadows.patch(shadow.oid, { set: { exists: false, 'metadata.modifyTimestamp': now, 'metadata.modifyChannel': channel } });
}

/**
 * Links the shadow to the user, on both sides (idempotent). The user's side is written first: cut short
 * after it, the shadow still has no owner, so the account's next synchronization correlates and links it.
 */
export async function linkShadow(deps: Pick<ProvisioningDeps, 'repo'>, shadowOid: string, userOid: string, now: string): Promise<void> {
  await deps.repo.linkShadow(userOid, shadowOid);
  await deps.repo.shadows.patch(shadowOid, { set: { ownerRef: userOid, situation: 'linked', situationTimestamp: now } });
}

/** Unlinks the shadow from its owner, on both sides (idempotent); the shadow's side first, as the link's last. */
export async function unlinkShadow(deps: Pick<ProvisioningDeps, 'repo'>, shadow: Pick<ShadowDoc, 'oid' | 'ownerRef'>): Promise<void> {
  if (!shadow.ownerRef) return;
  await deps.repo.shadows.patch(shadow.oid, { set: { ownerRef: null } });
  await deps.repo.unlinkShadow(shadow.ownerRef, shadow.oid);
}

/** The account is gone from the resource: forget the shadow and every link to it. */
export async function removeShadow(deps: Pick<ProvisioningDeps, 'repo'>, shadow: Pick<ShadowDoc, 'oid' | 'ownerRef'>): Promise<void> {
  if (shadow.ownerRef) await deps.repo.unlinkShadow(shadow.ownerRef, shadow.oid);
  await deps.repo.shadows.delete(shadow.oid);
}
