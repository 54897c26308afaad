/**
 * Executes a shadow's pending operations against the resource, one at a time, and records the outcome
 * on the shadow. Communication failures leave the operation waiting (postponed) with its attempt count
 * and error; success removes it and refreshes the shadow's identifiers.
 */
import type { Connector } from '../connectors/connector-types';
import type { PendingOperation, ShadowDoc } from '../schema/objects';
import type { Repository } from '../repository/repository';
import { classifyError, type ClassifiedError } from './error-classification';
import type { ConnectorRegistry } from './connector-registry';
import { modifyWithRetry } from '../repository/versioned';
import { removeLinkRef } from '../repository/user-links';

export type OperationOutcome =
  | { outcome: 'idle' }
  /** The operation asked for is no longer the next one (merged, dropped or done meanwhile). */
  | { outcome: 'stale' }
  | { outcome: 'done'; operation: PendingOperation['type']; remaining: number }
  | { outcome: 'postponed'; operation: PendingOperation['type']; attemptNumber: number; error: string; remaining: number }
  | { outcome: 'failed'; operation: PendingOperation['type']; error: ClassifiedError; remaining: number }
  | { outcome: 'discovery'; operation: PendingOperation['type']; error: ClassifiedError; remaining: number };

/** The operation a shadow's workflow should execute next, if any. */
export async function nextPendingOperation(repo: Repository, shadowOid: string): Promise<Pick<PendingOperation, 'id' | 'type'> | null> {
  const operation = (await repo.shadow(shadowOid))?.pendingOperations[0];
  return operation ? { id: operation.id, type: operation.type } : null;
}

/**
 * Executes the shadow's next pending operation; with `operationId`, only if that is still the next one.
 */
export async function executeNextPendingOperation(
  repo: Repository,
  registry: ConnectorRegistry,
  shadowOid: string,
  context: { workflowId?: string; now?: () => string; operationId?: string } = {},
): Promise<OperationOutcome> {
  const now = context.now ?? (() => new Date().toISOString());
  const shadow = await repo.shadow(shadowOid);
  const operation = shadow?.pendingOperations[0];
  if (!shadow || !operation) return context.operationId ? { outcome: 'stale' } : { outcome: 'idle' };
  if (context.operationId && operation.id !== context.operationId) return { outcome: 'stale' };
  const remainingAfter = shadow.pendingOperations.length - 1;

  let connector: Connector;
  try {
    ({ connector } = await registry.connectorFor(shadow.resourceRef));
  } catch (e) {
    return failOperation(repo, shadow, operation, classifyError(e), now());
  }

  await patchOperation(repo, shadow.oid, operation.id, { executing: true });
  try {
    await runOperation(repo, connector, shadow, operation, now());
    await repo.writeAudit([
      {
        timestamp: now(),
        channel: operation.channel ?? 'user',
        objectType: 'account',
        objectOid: shadow.oid,
        resourceRef: shadow.resourceRef,
        delta: { type: operation.type, attributes: operation.attributes, delta: operation.delta },
        workflowId: context.workflowId,
      },
    ]);
    return { outcome: 'done', operation: operation.type, remaining: remainingAfter };
  } catch (e) {
    const error = classifyError(e);
    switch (error.handling) {
      case 'postpone': {
        const attemptNumber = operation.attemptNumber + 1;
        await patchOperation(repo, shadow.oid, operation.id, {
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
          await removeShadow(repo, shadow);
          return { outcome: 'done', operation: 'delete', remaining: 0 };
        }
        await patchOperation(repo, shadow.oid, operation.id, { executing: false });
        return { outcome: 'discovery', operation: operation.type, error, remaining: remainingAfter + 1 };
      default:
        return failOperation(repo, shadow, operation, error, now());
    }
  }
}

async function runOperation(repo: Repository, connector: Connector, shadow: ShadowDoc, op: PendingOperation, now: string) {
  switch (op.type) {
    case 'add': {
      if (!shadow.secondaryIdentifier) throw new Error(`shadow ${shadow.oid} has no name to create the account with`);
      const created = await connector.create(shadow.secondaryIdentifier, op.attributes ?? {});
      await completeOperation(repo, shadow, op, now, {
        primaryIdentifier: created.primaryIdentifier,
        secondaryIdentifier: created.secondaryIdentifier,
        attributes: created.attributes,
        exists: true,
      });
      return;
    }
    case 'modify': {
      if (!shadow.primaryIdentifier) throw new Error(`shadow ${shadow.oid} has no identifier on the resource yet`);
      const modified = await connector.modify(shadow.primaryIdentifier, (op.delta ?? []) as never);
      await completeOperation(repo, shadow, op, now, {
        secondaryIdentifier: modified.secondaryIdentifier,
        attributes: modified.attributes,
      });
      return;
    }
    case 'delete': {
      if (shadow.primaryIdentifier) await connector.delete(shadow.primaryIdentifier);
      await removeShadow(repo, shadow);
      return;
    }
  }
}

async function completeOperation(
  repo: Repository,
  shadow: ShadowDoc,
  op: PendingOperation,
  now: string,
  set: Partial<ShadowDoc>,
): Promise<void> {
  await modifyWithRetry(repo.shadows, shadow.oid, (current) => ({
    $set: {
      ...set,
      pendingOperations: current.pendingOperations.filter((p) => p.id !== op.id),
      'metadata.modifyTimestamp': now,
    },
  }));
}

async function failOperation(
  repo: Repository,
  shadow: ShadowDoc,
  op: PendingOperation,
  error: ClassifiedError,
  now: string,
): Promise<OperationOutcome> {
  await modifyWithRetry(repo.shadows, shadow.oid, (current) => ({
    $set: {
      pendingOperations: current.pendingOperations.filter((p) => p.id !== op.id),
      lastFailedOperation: { ...op, executing: false, lastAttemptTimestamp: now, result: { status: 'fatal-error' as const, message: error.message, errorKind: error.kind } },
      'metadata.modifyTimestamp': now,
    },
  }));
  return { outcome: 'failed', operation: op.type, error, remaining: shadow.pendingOperations.length - 1 };
}

/** The account is gone from the resource: forget the shadow and every link to it. */
export async function removeShadow(repo: Repository, shadow: ShadowDoc): Promise<void> {
  if (shadow.ownerRef) {
    await removeLinkRef(repo, shadow.ownerRef, shadow.oid);
  }
  await repo.deleteShadow(shadow.oid);
}

async function patchOperation(repo: Repository, shadowOid: string, operationId: string, patch: Partial<PendingOperation>) {
  await modifyWithRetry(repo.shadows, shadowOid, (current) => ({
    $set: { pendingOperations: current.pendingOperations.map((p) => (p.id === operationId ? { ...p, ...patch } : p)) },
  }));
}
