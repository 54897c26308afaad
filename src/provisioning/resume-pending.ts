/**
 * The repository side of reconciliation for pending operations: every shadow that still has pending
 * operations gets its provisioning workflow (re)started or woken, so nothing waits forever even if a
 * workflow was lost (terminated, its history reset, a crash between storing the operation and starting it).
 */
import type { PendingOperation } from '../schema/objects';
import type { ProvisioningDeps } from './provisioning-deps';

export interface ResumeOptions {
  /** Only operations the resource was unreachable for (not ones never tried yet). */
  onlyPostponed?: boolean;
  /** With onlyPostponed: only those last tried after this time (ISO). */
  postponedAfter?: string;
  /** Leave this shadow out (the caller is its workflow). */
  exceptShadowOid?: string;
  /** Only the shadows of this owner. */
  ownerRef?: string;
  /** Only operations never tried and nobody is at (left behind by a crash before execution). */
  onlyStranded?: { now: string };
}

export async function resumePendingOperations(
  deps: Pick<ProvisioningDeps, 'repo' | 'workflows'>,
  resourceOid?: string,
  options: ResumeOptions = {},
): Promise<{ shadowOids: string[] }> {
  const shadows = await deps.repo.shadows.withPendingOperations({ resourceRef: resourceOid, ownerRef: options.ownerRef });
  const stranded = (op: PendingOperation) =>
    op.result.status === 'in-progress' && op.attemptNumber === 0 && !(op.executing && op.executingUntil && op.executingUntil >= options.onlyStranded!.now);
  const chosen = shadows.filter(
    (s) =>
      s.oid !== options.exceptShadowOid &&
      s.pendingOperations.length > 0 &&
      (!options.onlyPostponed ||
        (s.pendingOperations[0].result.status === 'postponed' && (s.pendingOperations[0].lastAttemptTimestamp ?? '') > (options.postponedAfter ?? ''))) &&
      (!options.onlyStranded || stranded(s.pendingOperations[0])),
  );
  for (const shadow of chosen) {
    await deps.workflows.requestAccountProvisioning({ shadowOid: shadow.oid, resourceOid: shadow.resourceRef });
  }
  return { shadowOids: chosen.map((s) => s.oid) };
}
