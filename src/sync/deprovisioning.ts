/**
 * Accounts disabled instead of deleted (the object type's `activation.deprovisioning.action: disable`):
 * their shadows record since when (`deprovisionedAt`), the record goes when a construction asks for the
 * account again, and reconciliation deletes them once they have been so for `deleteAfter`.
 */
import type { AccountPlan } from '../model';
import { durationToMs, type Channel, type ResourceConfig } from '../schema/config';
import type { ShadowDoc } from '../schema/objects';
import { provisionAccounts } from '../provisioning';
import { withConcurrency } from '../support/concurrency';
import { nowOf, type SyncDeps } from './sync-deps';

/**
 * Records on the shadows what the plans do to them: disabled since now (kept from the first time), or
 * given back. Returns the shadows as they are now.
 */
export async function recordDeprovisioning(deps: SyncDeps, plans: readonly AccountPlan[], shadows: ShadowDoc[], channel: Channel): Promise<ShadowDoc[]> {
  const now = nowOf(deps);
  const current = new Map(shadows.map((s) => [s.oid, s]));
  for (const plan of plans) {
    const shadow = plan.shadowOid ? current.get(plan.shadowOid) : undefined;
    if (!shadow) continue;
    const metadata = { 'metadata.modifyTimestamp': now, 'metadata.modifyChannel': channel };
    let patched: ShadowDoc | null = null;
    if (plan.deprovisioning === 'disable' && shadow.deprovisionedAt === undefined) {
      patched = await deps.repo.shadows.patch(shadow.oid, { set: { deprovisionedAt: now, ...metadata } });
    } else if (plan.deprovisioning === 'restore' && shadow.deprovisionedAt !== undefined) {
      patched = await deps.repo.shadows.patch(shadow.oid, { set: metadata, unset: ['deprovisionedAt'] });
    }
    if (patched) current.set(shadow.oid, patched);
  }
  return shadows.map((s) => current.get(s.oid) ?? s);
}

/** Shadows looked at per query, and deleted side by side. */
const PAGE = 500;
const WIDTH = 8;

/**
 * Deletes the resource's accounts disabled instead of deleted longer ago than their object type's
 * `deleteAfter`, through provisioning: a delete that must wait (the resource is down) waits as a pending
 * operation. Returns how many deletes were done or handed over.
 */
export async function deleteExpiredDeprovisioned(deps: SyncDeps, resource: ResourceConfig & { oid: string }, workflowId?: string): Promise<number> {
  const now = Date.parse(nowOf(deps));
  let deleted = 0;
  for (const objectType of resource.schemaHandling.objectType) {
    const deprovisioning = objectType.activation?.deprovisioning;
    if (deprovisioning?.action !== 'disable' || deprovisioning.deleteAfter === undefined) continue;
    const before = new Date(now - durationToMs(deprovisioning.deleteAfter)).toISOString();
    let after: string | undefined;
    for (;;) {
      const page = await deps.repo.shadows.deprovisioned(resource.oid, { kind: objectType.kind, intent: objectType.intent, before, after, limit: PAGE });
      await withConcurrency(page, WIDTH, async (shadow) => {
        const plan: AccountPlan = {
          resourceRef: resource.oid,
          kind: shadow.kind,
          intent: shadow.intent,
          objectClass: shadow.objectClass,
          shadowOid: shadow.oid,
          action: 'delete',
          reason: `disabled instead of deleted since ${shadow.deprovisionedAt}, longer than deleteAfter ${deprovisioning.deleteAfter}`,
        };
        const results = await provisionAccounts(deps, { userOid: shadow.ownerRef ?? '', plans: [plan], channel: 'recon', workflowId }, [shadow]);
        deleted += results.length;
      });
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.oid;
    }
  }
  return deleted;
}
