/**
 * The repository side of reconciliation for pending operations: every shadow that still has pending
 * operations gets its provisioning workflow (re)started or woken, so nothing waits forever even if a
 * workflow was lost (terminated, its history reset, a crash between storing the operation and starting it).
 */
import type { ProvisioningDeps } from './provisioning-deps';

export interface ResumeOptions {
  /** Only operations the resource was unreachable for (not ones never tried yet). */
  onlyPostponed?: boolean;
  /** Leave this shadow out (the caller is its workflow). */
  exceptShadowOid?: string;
}

export async function resumePendingOperations(
  deps: Pick<ProvisioningDeps, 'repo' | 'workflows'>,
  resourceOid?: string,
  options: ResumeOptions = {},
): Promise<{ shadowOids: string[] }> {
  const shadows = await deps.repo.shadowsWithPendingOperations(resourceOid);
  const chosen = shadows.filter(
    (s) =>
      s.oid !== options.exceptShadowOid &&
      s.pendingOperations.length > 0 &&
      (!options.onlyPostponed || s.pendingOperations[0].result.status === 'postponed'),
  );
  for (const shadow of chosen) {
    await deps.workflows.requestAccountProvisioning({ shadowOid: shadow.oid, resourceOid: shadow.resourceRef });
  }
  return { shadowOids: chosen.map((s) => s.oid) };
}
