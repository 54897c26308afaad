/**
 * Reconciliation's second phase, one page at a time: the page's objects are compared in bulk with their
 * shadows and owners (one read each); only the objects that need something go through the
 * synchronization routine. Import does the same on its own channel (an account handled as if just
 * created ends the same way: unmatched -> new user, unlinked -> linked, linked -> synchronized), without
 * the third phase.
 */
import { bucketOf, findObjectType, matchingRuleOf, nextValidityBoundary, type MatchingRuleName, reconciliationNeed, SECONDARY_IDENTIFIER, valuesMatch } from '../../model';
import { resourceOf, roleEntitlementsOf, sameAttributes } from '../../provisioning';
import type { FoundAgreement, ShadowOfPage, StoredResource } from '../../repository/repository';
import type { ResourceObject } from '../../schema/objects';
import { withConcurrency } from '../../support/concurrency';
import { recordItems, runRoutine, type ItemSink } from './simulated-run';
import { nowOf, type SyncDeps } from '../sync-deps';
import { addResult, count, objectError, type RunPieceResult, type RunScope } from './run-scope';
import { createUsersForNewAccounts } from './new-accounts';
import { agreementOf, stillAgreed } from './agreements';

/** Objects of one page synchronized side by side. @default 8 */
export const SYNCHRONIZATION_WIDTH = 8;

export function inBucket(scope: Pick<RunScope, 'bucket'>, primaryIdentifier: string): boolean {
  return !scope.bucket || bucketOf(primaryIdentifier, scope.bucket.count) === scope.bucket.index;
}

import { isOutage } from '../outage';

export { isOutage };

export async function reconcileObjectsPage(deps: SyncDeps, scope: RunScope, page: readonly ResourceObject[]): Promise<RunPieceResult> {
  const objects = page.filter((o) => inBucket(scope, o.primaryIdentifier));
  const result: RunPieceResult = { stats: { seen: objects.length }, errors: [] };
  const channel = scope.type === 'import' ? 'import' : 'recon';
  const shadows = await deps.repo.shadows.byPrimaryIdentifiers(
    scope.resourceOid,
    objects.map((o) => o.primaryIdentifier),
  );
  const shadowOf = new Map(shadows.map((s) => [s.primaryIdentifier!, s]));
  const created = await createUsersForNewAccounts(deps, scope, objects.filter((o) => !shadowOf.has(o.primaryIdentifier)), channel);
  addResult(result, created.result);
  const compared = await objectsNeedingSynchronization(deps, scope, objects.filter((o) => shadowOf.has(o.primaryIdentifier)), shadowOf, result);
  const needing = [...created.rest, ...compared.needing];

  const sink: ItemSink = [...created.items];
  await withConcurrency(needing, SYNCHRONIZATION_WIDTH, async (object) => {
    try {
      const change = { resourceRef: scope.resourceOid, channel, changeType: 'unknown', currentObject: object } as const;
      const outcome = await runRoutine(deps, scope, change, `o/${object.primaryIdentifier}`, sink);
      // A protected account, or one disabled instead of deleted whose owner is gone, is skipped: counted as such, not as synchronized.
      if (outcome.situation !== 'protected' && outcome.situation !== 'deprovisioned' && !outcome.held) count(result.stats, 'synchronized');
      if (outcome.situation) count(result.stats, outcome.situation);
    } catch (e) {
      if (isOutage(e)) throw e;
      count(result.stats, 'errors');
      result.errors.push(objectError(object.secondaryIdentifier, e, nowOf(deps)));
    }
  });
  await recordItems(deps, scope, sink, result);
  const seen = objects.map((o) => o.primaryIdentifier);
  if (!scope.simulation) await deps.repo.shadows.markPage(scope.resourceOid, { primaryIdentifiers: seen, seenBy: scope.type === 'recon' ? scope.runId : undefined, agreements: compared.agreements });
  else if (scope.type === 'recon') await deps.repo.simulations.markSeen(scope.simulation.id, scope.resourceOid, seen, new Date(scope.simulation.expireAt));
  return result;
}

/**
 * The objects whose shadow, owner or account don't agree; the others are counted as unchanged, and those
 * newly found in agreement come back as agreements to keep on their shadows.
 */
async function objectsNeedingSynchronization(
  deps: SyncDeps,
  scope: RunScope,
  objects: readonly ResourceObject[],
  shadowOf: ReadonlyMap<string, ShadowOfPage>,
  result: RunPieceResult,
): Promise<{ needing: ResourceObject[]; agreements: FoundAgreement[] }> {
  const agreements: FoundAgreement[] = [];
  if (objects.length === 0) return { needing: [], agreements };
  const [resource, snapshot] = await Promise.all([resourceOf(deps, scope.resourceOid), deps.repo.config.recentSnapshot()]);
  const rulesOf = matchingRulesByType(resource);
  const candidates = objects.flatMap((object) => {
    const shadow = shadowOf.get(object.primaryIdentifier)!;
    const settled = shadow.ownerRef && shadow.situation === 'linked' && shadow.exists && !shadow.dead && shadow.pendingOperations.length === 0;
    // Under the attributes' matching rules: a value that differs only where the rule doesn't look is the same value.
    const ruleOf = rulesOf(shadow.kind, shadow.intent);
    const same =
      settled &&
      valuesMatch(ruleOf(SECONDARY_IDENTIFIER), shadow.secondaryIdentifier, object.secondaryIdentifier) &&
      sameAttributes(shadow.attributes, object.attributes, ruleOf);
    return same ? [{ object, shadow, ownerOid: shadow.ownerRef! }] : [];
  });
  // Owners' versions first: an owner whose agreement is kept on the shadow isn't read whole.
  const versions = await deps.repo.users.versions([...new Set(candidates.map((c) => c.ownerOid))]);
  const basisOf = (c: (typeof candidates)[number]) => ({ ownerVersion: versions.get(c.ownerOid)!, generation: snapshot.generation });
  const now = nowOf(deps);
  const toCompare = candidates.filter((c) => versions.has(c.ownerOid) && !stillAgreed(c.shadow, basisOf(c), now));
  const owners = new Map((await deps.repo.users.byOids([...new Set(toCompare.map((c) => c.ownerOid))])).map((u) => [u.oid, u]));
  const roleEntitlements = toCompare.length > 0 ? await roleEntitlementsOf(deps, snapshot.roles) : {};
  const unchanged = new Set<ResourceObject>();
  for (const c of candidates) {
    if (!versions.has(c.ownerOid)) continue;
    const basis = basisOf(c);
    if (stillAgreed(c.shadow, basis, now)) {
      unchanged.add(c.object);
      continue;
    }
    const owner = owners.get(c.ownerOid);
    // A link cut short has the shadow's side only: the routine completes it.
    if (!owner || `${owner.version}` !== `${versions.get(c.ownerOid)}` || !owner.linkRef.includes(c.shadow.oid)) continue;
    try {
      const need = reconciliationNeed({ resource, shadow: c.shadow, object: c.object, owner, templates: snapshot.objectTemplates, roles: snapshot.roles, resources: snapshot.resources, now, roleEntitlements });
      if (need !== null) continue;
    } catch {
      continue; // a mapping that can't be evaluated: the routine meets the same error and records it for this object
    }
    agreements.push({ shadowOid: c.shadow.oid, agreement: agreementOf(c.shadow, basis, nextValidityBoundary(owner.activation, now)) });
    unchanged.add(c.object);
  }
  count(result.stats, 'unchanged', unchanged.size);
  return { needing: objects.filter((o) => !unchanged.has(o)), agreements };
}

/** The matching rule of each attribute of each object type of the resource, looked up once per page. */
function matchingRulesByType(resource: StoredResource): (kind: ShadowOfPage['kind'], intent: string) => (attribute: string) => MatchingRuleName {
  const types = new Map<string, (attribute: string) => MatchingRuleName>();
  return (kind, intent) => {
    const key = `${kind}/${intent}`;
    let ruleOf = types.get(key);
    if (!ruleOf) {
      const objectType = findObjectType(resource, kind, intent);
      const rules = new Map<string, MatchingRuleName>();
      ruleOf = (attribute) => {
        let rule = rules.get(attribute);
        if (rule === undefined) rules.set(attribute, (rule = matchingRuleOf(objectType, attribute)));
        return rule;
      };
      types.set(key, ruleOf);
    }
    return ruleOf;
  };
}
