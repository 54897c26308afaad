/**
 * Correlation of a role's own entitlement by name: before a role's new group is added, a group already on
 * the resource under that name that no other focus owns gets a shadow linked to the role, so the role's
 * projection modifies it (its strong values put back) instead of failing to add it.
 */
import type { AccountPlan } from '../model';
import { requireObjectType } from '../model/resources';
import type { Channel } from '../schema/config';
import { fetchResourceObject } from './resource-objects';
import { linkShadow, newShadow } from './shadows';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';
import { resourceOf } from './resource-lookup';

/** True when the plan's entitlement was found on the resource and linked to `ownerOid`. */
export async function adoptExistingEntitlement(deps: ProvisioningDeps, ownerOid: string, plan: AccountPlan, channel: Channel): Promise<boolean> {
  if (plan.action !== 'add' || plan.kind === 'account' || !plan.secondaryIdentifier) return false;
  const resource = await resourceOf(deps, plan.resourceRef);
  // Unreachable: the add is queued and waits for the resource like any other.
  const found = await fetchResourceObject(deps, resource.oid, { secondaryIdentifier: plan.secondaryIdentifier }, plan).catch(() => null);
  if (!found) return false;
  const known = await deps.repo.shadows.byIdentifiers(resource.oid, found);
  if (known && (known.dead || (known.ownerRef !== null && known.ownerRef !== ownerOid))) return false;
  const now = nowOf(deps);
  let shadowOid = known?.oid;
  if (!shadowOid) {
    const shadow = newShadow({
      resourceRef: resource.oid,
      objectType: requireObjectType(resource, plan.kind, plan.intent),
      primaryIdentifier: found.primaryIdentifier,
      secondaryIdentifier: found.secondaryIdentifier,
      exists: true,
      now,
      channel,
    });
    shadow.attributes = found.attributes;
    if (!(await deps.repo.shadows.insert(shadow))) return false;
    shadowOid = shadow.oid;
  }
  await linkShadow(deps, shadowOid, ownerOid, now);
  return true;
}
