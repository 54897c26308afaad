/** Second step: what the change means for the repository (the situation), and how to react to it. */
import type { Channel, ReactionAction, Situation } from '../schema/config';
import type { ResourceObject, UserDoc } from '../schema/objects';
import { confirmCandidates, correlationFilter, determineSituation, reactionFor } from '../model';
import { defaultObjectType } from '../provisioning/shadows';
import { setFields } from '../repository/versioned';
import { nowOf, type SyncDeps } from './sync-deps';

export interface SituationResult {
  situation: Situation;
  ownerOid: string | null;
  candidateOids: string[];
  actions: ReactionAction[];
  /** Run inbound and outbound mappings after the actions. */
  synchronize: boolean;
}

export async function decideSituation(
  deps: SyncDeps,
  input: { resourceOid: string; shadowOid: string | null; exists: boolean; object: ResourceObject | null; channel: Channel },
): Promise<SituationResult> {
  const resource = await deps.connectors.resource(input.resourceOid);
  const shadow = input.shadowOid ? await deps.repo.shadow(input.shadowOid) : null;
  const objectType = defaultObjectType(resource, shadow?.kind, shadow?.intent);
  const policies = resource.synchronization.filter((p) => p.kind === objectType.kind && p.intent === objectType.intent);

  let candidates: UserDoc[] = [];
  const owner = shadow?.ownerRef ? await deps.repo.user(shadow.ownerRef) : null;
  if (!owner && input.exists && input.object) {
    for (const policy of policies) {
      if (!policy.correlation) continue;
      const filter = correlationFilter(policy.correlation, input.object);
      const found = await deps.repo.usersMatching(filter, 10);
      candidates = policy.confirmation ? confirmCandidates(policy.confirmation, input.object, found) : found;
      break;
    }
  }
  const situation = determineSituation({ ownerRef: owner?.oid ?? null, exists: input.exists, candidates });
  if (shadow) {
    await setFields(deps.repo.shadows, shadow.oid, { situation, situationTimestamp: nowOf(deps) });
  }
  const reaction = reactionFor(policies, { kind: objectType.kind, intent: objectType.intent, situation, channel: input.channel });
  return {
    situation,
    ownerOid: owner?.oid ?? (candidates.length === 1 ? candidates[0].oid : null),
    candidateOids: candidates.map((c) => c.oid),
    actions: reaction?.actions ?? [],
    synchronize: reaction?.synchronize ?? false,
  };
}
