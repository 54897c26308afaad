/** Second step: what the change means for the repository (the situation), and how to react to it. */
import type { Channel, ReactionAction, Situation } from '../schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import type { StoredResource } from '../repository/repository';
import { confirmCandidates, correlationCondition, determineSituation, isProtected, reactionFor, requireObjectType, userMatchesCondition } from '../model';
import { nowOf, type SyncDeps } from './sync-deps';
import { resourceOf } from '../provisioning';

export interface SituationResult {
  situation: Situation;
  ownerOid: string | null;
  /** The linked owner as read (null when there is none). */
  owner: UserDoc | null;
  candidateOids: string[];
  actions: ReactionAction[];
  /** Run inbound and outbound mappings after the actions. */
  synchronize: boolean;
}

function policiesFor(resource: StoredResource, shadow: Pick<ShadowDoc, 'kind' | 'intent'> | null) {
  const objectType = requireObjectType(resource, shadow?.kind, shadow?.intent);
  return { objectType, policies: resource.synchronization.filter((p) => p.kind === objectType.kind && p.intent === objectType.intent) };
}

/** The users the account correlates to (after confirmation), by the first policy that has a correlation. */
async function candidatesFor(deps: SyncDeps, resource: StoredResource, shadow: ShadowDoc | null, object: ResourceObject): Promise<UserDoc[]> {
  const { objectType, policies } = policiesFor(resource, shadow);
  if (shadow?.protectedObject || isProtected(objectType, object)) return []; // never anybody's
  for (const policy of policies) {
    if (!policy.correlation) continue;
    const condition = correlationCondition(policy.correlation, object, { shadow, resourceName: resource.name, objectType });
    const found = (await deps.repo.users.matching(condition, 10)).filter((user) => userMatchesCondition(user, condition));
    return policy.confirmation ? confirmCandidates(policy.confirmation, object, found, { shadow, resourceName: resource.name }) : found;
  }
  return [];
}

/** The one user an account correlates to, or null (discovery asks this of an account nobody owns). */
export async function correlate(deps: SyncDeps, resourceOid: string, object: ResourceObject): Promise<string | null> {
  const candidates = await candidatesFor(deps, await resourceOf(deps, resourceOid), null, object);
  return candidates.length === 1 ? candidates[0].oid : null;
}

export async function decideSituation(
  deps: SyncDeps,
  input: {
    resourceOid: string;
    shadowOid: string | null;
    exists: boolean;
    object: ResourceObject | null;
    channel: Channel;
    /** The shadow as the caller just read or wrote it. */
    shadow?: ShadowDoc | null;
  },
): Promise<SituationResult> {
  const resource = await resourceOf(deps, input.resourceOid);
  const shadow = input.shadow !== undefined ? input.shadow : input.shadowOid ? await deps.repo.shadows.get(input.shadowOid) : null;
  const { objectType, policies } = policiesFor(resource, shadow);

  const owner = shadow?.ownerRef ? await deps.repo.users.get(shadow.ownerRef) : null;
  const candidates = !owner && input.exists && input.object ? await candidatesFor(deps, resource, shadow, input.object) : [];
  const situation = determineSituation({ ownerRef: owner?.oid ?? null, exists: input.exists, candidates });
  if (owner && shadow && input.exists && !owner.linkRef.includes(shadow.oid)) {
    // A link written by an older Tally (shadow side first) and cut short: the user's side is completed.
    await deps.repo.linkShadow(owner.oid, shadow.oid);
    owner.linkRef = [...owner.linkRef, shadow.oid];
  }
  if (shadow && shadow.situation !== situation) {
    await deps.repo.shadows.patch(shadow.oid, { set: { situation, situationTimestamp: nowOf(deps) } });
  }
  const reaction = reactionFor(policies, { kind: objectType.kind, intent: objectType.intent, situation, channel: input.channel });
  return {
    situation,
    ownerOid: owner?.oid ?? (candidates.length === 1 ? candidates[0].oid : null),
    owner,
    candidateOids: candidates.map((c) => c.oid),
    actions: reaction?.actions ?? [],
    synchronize: reaction?.synchronize ?? false,
  };
}
