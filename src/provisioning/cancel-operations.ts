/**
 * An operator gives up an account's waiting operations (`tally operation cancel`): they leave the
 * shadow's queue, the last one is kept as `lastFailedOperation` with status `cancelled`, and each is
 * audited. An account that was never created (its add given up) keeps no shadow. An operation the
 * resource is being asked to do right now can't be taken back: the caller is told to try again.
 */
import type { PendingOperation } from '../schema/objects';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';
import { removeShadow } from './shadows';

export class OperationExecutingError extends Error {
  override readonly name = 'OperationExecutingError';
}

export async function cancelPendingOperations(
  deps: ProvisioningDeps,
  shadowOid: string,
  reason: string,
  workflowId?: string,
): Promise<{ cancelled: PendingOperation[]; shadowRemoved: boolean }> {
  const now = nowOf(deps);
  let cancelled: PendingOperation[] = [];
  const shadow = await deps.repo.shadows.modify(shadowOid, (current) => {
    cancelled = current.pendingOperations;
    if (cancelled.length === 0) return null;
    const executing = cancelled.find((op) => op.executing && (!op.executingUntil || op.executingUntil > now));
    if (executing) throw new OperationExecutingError(`the ${executing.type} of this account is being executed right now; look again in a moment`);
    const last = cancelled[cancelled.length - 1];
    return {
      set: {
        pendingOperations: [],
        lastFailedOperation: { ...last, executing: false, result: { status: 'cancelled', message: reason } },
        'metadata.modifyTimestamp': now,
      },
    };
  });
  if (cancelled.length === 0 || !shadow) return { cancelled: [], shadowRemoved: false };
  await deps.repo.audit.write(
    cancelled.map((op) => ({
      timestamp: now,
      channel: 'user',
      objectType: 'shadow' as const,
      objectOid: shadowOid,
      resourceRef: shadow.resourceRef,
      delta: { cancelled: op.type, operationId: op.id, attemptNumber: op.attemptNumber },
      workflowId,
      message: `pending ${op.type} cancelled: ${reason}`,
    })),
  );
  const neverCreated = !shadow.exists && !shadow.primaryIdentifier;
  if (neverCreated) await removeShadow(deps, shadow);
  return { cancelled, shadowRemoved: neverCreated };
}
