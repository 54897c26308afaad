/**
 * The repository side of reconciliation for pending operations: every shadow that still has pending
 * operations gets its provisioning workflow (re)started or woken, so nothing waits forever even if a
 * workflow was lost (terminated, its history reset, a crash between storing the operation and starting it).
 */
import type { Filter } from 'mongodb';
import type { ShadowDoc } from '../schema/objects';
import { requestAccountProvisioning } from '../client/workflow-starts';
import type { SyncDeps } from '../sync/sync-deps';

export interface ResumeOptions {
  /** Only operations the resource was unreachable for (not ones never tried yet). */
  onlyPostponed?: boolean;
  /** Leave this shadow out (the caller is its workflow). */
  exceptShadowOid?: string;
}

export async function resumePendingOperations(
  deps: Pick<SyncDeps, 'repo' | 'temporal'>,
  resourceOid?: string,
  options: ResumeOptions = {},
): Promise<{ shadowOids: string[] }> {
  const filter: Filter<ShadowDoc> = { 'pendingOperations.0': { $exists: true } };
  if (resourceOid) filter.resourceRef = resourceOid;
  const shadows = await deps.repo.shadows
    .find(filter, { projection: { _id: 0, oid: 1, resourceRef: 1, pendingOperations: 1 } })
    .toArray();
  const chosen = shadows.filter(
    (s) =>
      s.oid !== options.exceptShadowOid &&
      s.pendingOperations.length > 0 &&
      (!options.onlyPostponed || s.pendingOperations[0].result.status === 'postponed'),
  );
  for (const shadow of chosen) {
    await requestAccountProvisioning(deps.temporal, { shadowOid: shadow.oid, resourceOid: shadow.resourceRef });
  }
  return { shadowOids: chosen.map((s) => s.oid) };
}
