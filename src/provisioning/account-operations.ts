/**
 * Executes a shadow's pending operations against the resource, one at a time, and records the outcome
 * on the shadow. Communication failures leave the operation waiting (postponed) with its attempt count
 * and error; success removes it and refreshes the shadow's identifiers. An executor claims the
 * operation first, so one account's operations reach the resource one at a time and in order.
 */
import type { Connector } from '../connectors/connector-types';
import type { Channel } from '../schema/config';
import type { PendingOperation, ResourceObject, ShadowDoc } from '../schema/objects';
import type { AuditRecord, Patch, StoredResource } from '../repository/repository';
import { findObjectType } from '../model/resources';
import { PROTECTED_ACCOUNT, protectedAccountMessage, protectionOf } from '../model/protected-accounts';
import { classifyError, type ClassifiedError } from './error-classification';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';
import { removeShadow } from './shadows';
import { claimUntil, holdingClaims } from './claim-lease';

export type OperationOutcome =
  | { outcome: 'idle' }
  /** The operation asked for is no longer the next one (merged, dropped or done meanwhile). */
  | { outcome: 'stale' }
  /** Another executor is at it; its claim ends at `until` at the latest. */
  | { outcome: 'busy'; until: string }
  /** `afterPostponement`: the resource had been unreachable for it before (so it is back now). */
  | { outcome: 'done'; operation: PendingOperation['type']; remaining: number; afterPostponement?: boolean }
  | { outcome: 'postponed'; operation: PendingOperation['type']; attemptNumber: number; error: string; remaining: number }
  | { outcome: 'failed'; operation: PendingOperation['type']; error: ClassifiedError; remaining: number }
  | { outcome: 'discovery'; operation: PendingOperation['type']; error: ClassifiedError; remaining: number };


/** The operation a shadow's workflow should execute next, if any. */
export async function nextPendingOperation(deps: Pick<ProvisioningDeps, 'repo'>, shadowOid: string): Promise<Pick<PendingOperation, 'id' | 'type'> | null> {
  const operation = (await deps.repo.shadows.get(shadowOid))?.pendingOperations[0];
  return operation ? { id: operation.id, type: operation.type } : null;
}

/**
 * Executes the shadow's next pending operation; with `operationId`, only if that is still the next one.
 * `shadow` may be given when the caller has just read it.
 */
export async function executeNextPendingOperation(
  deps: Pick<ProvisioningDeps, 'repo' | 'connectors' | 'now'>,
  shadowOid: string,
  context: {
    workflowId?: string;
    operationId?: string;
    shadow?: ShadowDoc | null;
    /** The caller claimed the first operation already (when it queued it): `shadow` is as it stored it. */
    claimed?: boolean;
    /**
     * Who claims: an executor that runs one operation at a time and is repeated only once its earlier
     * attempt is given up (an activity of provisionAccount). It may take over its own claim.
     */
    claimant?: string;
  } = {},
): Promise<OperationOutcome> {
  const { repo, connectors } = deps;
  const now = () => nowOf(deps);
  const read = context.shadow !== undefined ? context.shadow : await repo.shadows.get(shadowOid);
  const next = read?.pendingOperations[0];
  if (!read || !next) return context.operationId ? { outcome: 'stale' } : { outcome: 'idle' };
  if (context.operationId && next.id !== context.operationId) return { outcome: 'stale' };

  let connector: Connector;
  let resource: StoredResource;
  try {
    ({ connector, resource } = await connectors.connectorFor(read.resourceRef, read));
  } catch (e) {
    return failOperation(deps, read, next, classifyError(e), now());
  }
  const refusal = protectedAccountRefusal(resource, read, next);
  if (refusal) return failOperation(deps, read, next, refusal, now());

  const started = now();
  const shadow = context.claimed ? read : await repo.shadows.claimPendingOperation(shadowOid, next.id, started, claimUntil(started), context.claimant);
  if (!shadow) {
    const current = await repo.shadows.get(shadowOid);
    const first = current?.pendingOperations[0];
    if (first?.id !== next.id) return { outcome: 'stale' };
    return { outcome: 'busy', until: first.executingUntil ?? started };
  }
  const operation = shadow.pendingOperations[0]!;
  const remainingAfter = shadow.pendingOperations.length - 1;
  try {
    await holdingClaims(deps, [{ shadowOid: shadow.oid, operationId: operation.id }], () => runOperation(deps, connector, shadow, operation, now()));
    await repo.audit.write([operationAudit(shadow, operation, now(), context.workflowId)]);
    return { outcome: 'done', operation: operation.type, remaining: remainingAfter, afterPostponement: operation.result.status === 'postponed' };
  } catch (e) {
    const error = classifyError(e);
    switch (error.handling) {
      case 'postpone': {
        const attemptNumber = operation.attemptNumber + 1;
        await repo.shadows.patchPendingOperation(shadow.oid, operation.id, {
          attemptNumber,
          executing: false,
          lastAttemptTimestamp: now(),
          result: { status: 'postponed' as const, message: error.message, errorKind: error.kind },
          ...(context.workflowId ? { workflowId: context.workflowId } : {}),
        });
        return { outcome: 'postponed', operation: operation.type, attemptNumber, error: error.message, remaining: remainingAfter + 1 };
      }
      case 'discover-existing':
      case 'discover-missing':
        if (operation.type === 'delete' && error.handling === 'discover-missing') {
          // Already gone: the delete is done.
          await removeShadow(deps, shadow);
          return { outcome: 'done', operation: 'delete', remaining: 0 };
        }
        await repo.shadows.patchPendingOperation(shadow.oid, operation.id, { executing: false });
        return { outcome: 'discovery', operation: operation.type, error, remaining: remainingAfter + 1 };
      default:
        return failOperation(deps, shadow, operation, error, now());
    }
  }
}

/** An operation on a protected account (or an add that would create one) is refused before the resource is asked. */
export function protectedAccountRefusal(resource: StoredResource, shadow: ShadowDoc, op: PendingOperation): ClassifiedError | null {
  const objectType = findObjectType(resource, shadow.kind, shadow.intent);
  const attributes = op.type === 'add' ? op.attributes : shadow.attributes;
  const why = protectionOf(objectType, { secondaryIdentifier: shadow.secondaryIdentifier, primaryIdentifier: shadow.primaryIdentifier, attributes });
  if (!why && !(shadow.protectedObject && op.type !== 'add')) return null;
  return { handling: 'fail', kind: PROTECTED_ACCOUNT, message: protectedAccountMessage(op.type, shadow.secondaryIdentifier, resource.name, why ?? 'marked protected') };
}

/** What the shadow learns when the resource did an add or a modify: the object as the resource now has it. */
export function doneOperationPatch(type: 'add' | 'modify', object: ResourceObject, now: string, channel?: Channel): Patch {
  const set = { secondaryIdentifier: object.secondaryIdentifier, attributes: object.attributes, 'metadata.modifyTimestamp': now, ...channelStamp(channel) };
  return { set: type === 'add' ? { ...set, primaryIdentifier: object.primaryIdentifier, exists: true } : set };
}

/** The channel a shadow change came through, for its metadata (none known: the stored one stays). */
export const channelStamp = (channel: Channel | undefined) => (channel ? { 'metadata.modifyChannel': channel } : {});

/** The audit record of an operation the resource did. */
export function operationAudit(shadow: Pick<ShadowDoc, 'oid' | 'resourceRef'>, op: PendingOperation, now: string, workflowId?: string): AuditRecord {
  return {
    timestamp: now,
    channel: op.channel ?? 'user',
    objectType: 'account',
    objectOid: shadow.oid,
    resourceRef: shadow.resourceRef,
    delta: { type: op.type, attributes: op.attributes, delta: op.delta },
    workflowId,
  };
}

async function runOperation(deps: Pick<ProvisioningDeps, 'repo'>, connector: Connector, shadow: ShadowDoc, op: PendingOperation, now: string) {
  switch (op.type) {
    case 'add': {
      if (!shadow.secondaryIdentifier) throw new Error(`shadow ${shadow.oid} has no name to create the account with`);
      const created = await connector.create(shadow.secondaryIdentifier, op.attributes ?? {});
      await deps.repo.shadows.finishPendingOperation(shadow.oid, op.id, doneOperationPatch('add', created, now, op.channel));
      return;
    }
    case 'modify': {
      if (!shadow.primaryIdentifier) throw new Error(`shadow ${shadow.oid} has no identifier on the resource yet`);
      const modified = await connector.modify(shadow.primaryIdentifier, (op.delta ?? []) as never);
      await deps.repo.shadows.finishPendingOperation(shadow.oid, op.id, doneOperationPatch('modify', modified, now, op.channel));
      return;
    }
    case 'delete': {
      if (shadow.primaryIdentifier) await connector.delete(shadow.primaryIdentifier);
      await removeShadow(deps, shadow);
      return;
    }
  }
}

/** The resource refused the operation for good: it leaves the queue and is kept for ops to read. */
export async function recordFailedOperation(deps: Pick<ProvisioningDeps, 'repo'>, shadowOid: string, op: PendingOperation, message: string, errorKind: string, now: string): Promise<void> {
  await deps.repo.shadows.finishPendingOperation(shadowOid, op.id, {
    set: {
      lastFailedOperation: { ...op, executing: false, lastAttemptTimestamp: now, result: { status: 'fatal-error' as const, message, errorKind } },
      'metadata.modifyTimestamp': now,
      ...channelStamp(op.channel),
    },
  });
}

async function failOperation(deps: Pick<ProvisioningDeps, 'repo'>, shadow: ShadowDoc, op: PendingOperation, error: ClassifiedError, now: string): Promise<OperationOutcome> {
  await recordFailedOperation(deps, shadow.oid, op, error.message, error.kind, now);
  return { outcome: 'failed', operation: op.type, error, remaining: shadow.pendingOperations.length - 1 };
}
