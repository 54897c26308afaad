/**
 * Pure rules for a shadow's queue of pending operations: new operations are merged with what is
 * already waiting so the resource sees as few operations as possible and nothing is lost.
 */
import type { Channel } from '../schema/config';
import type { AttributeDelta, Attributes, PendingOperation, ShadowDoc } from '../schema/objects';
import { applyAttributeDeltas } from '../model/deltas';
import { NAME_PATH } from '../connectors/connector-types';

export type RequestedOperation =
  | { type: 'add'; attributes: Attributes }
  | { type: 'modify'; delta: AttributeDelta[] }
  | { type: 'delete' };

export interface QueueChange {
  pendingOperations: PendingOperation[];
  /** The account was never created: dropping the shadow completes the delete. */
  dropShadow: boolean;
  /** A delete is waiting: the shadow is unlinked and dead until the resource confirms. */
  dead: boolean;
  /** A rename merged into the waiting add: the account is to be created under this name. */
  renameTo?: string;
}

/**
 * The deltas the last waiting modify does not already carry as they are: asking twice for one change (a
 * retried change whose first attempt queued it and died) queues it once.
 */
function notYetQueued(queue: readonly PendingOperation[], deltas: AttributeDelta[]): AttributeDelta[] {
  const last = [...queue].reverse().find((op) => op.type === 'modify');
  if (!last?.delta) return deltas;
  const queued = new Set(last.delta.map((d) => JSON.stringify(d)));
  return deltas.filter((d) => !queued.has(JSON.stringify(d)));
}

export function enqueueOperation(
  shadow: Pick<ShadowDoc, 'pendingOperations' | 'exists' | 'primaryIdentifier'>,
  requested: RequestedOperation,
  meta: { id: string; now: string; channel?: Channel; workflowId?: string },
): QueueChange {
  const queue = shadow.pendingOperations;
  const pendingAdd = queue.find((op) => op.type === 'add');
  const executing = pendingAdd?.executing && !(pendingAdd.executingUntil && pendingAdd.executingUntil < meta.now);
  const mergeableAdd = pendingAdd && !executing ? pendingAdd : undefined;
  const fresh = (op: Pick<PendingOperation, 'type' | 'attributes' | 'delta'>): PendingOperation => ({
    ...op,
    id: meta.id,
    attemptNumber: 0,
    requestTimestamp: meta.now,
    result: { status: 'in-progress' },
    ...(meta.channel ? { channel: meta.channel } : {}),
    ...(meta.workflowId ? { workflowId: meta.workflowId } : {}),
  });

  switch (requested.type) {
    case 'add':
      if (pendingAdd || shadow.exists) return { pendingOperations: queue, dropShadow: false, dead: false };
      return { pendingOperations: [...queue, fresh({ type: 'add', attributes: requested.attributes })], dropShadow: false, dead: false };
    case 'modify':
      if (mergeableAdd) {
        // Modify before created: one add with the final values (and name), no modify.
        const renames = requested.delta.filter((d) => d.path === NAME_PATH);
        const attributeDeltas = requested.delta.filter((d) => d.path !== NAME_PATH);
        const merged = { ...mergeableAdd, attributes: applyAttributeDeltas(mergeableAdd.attributes ?? {}, attributeDeltas) };
        const renameTo = renames.at(-1)?.replace?.[0];
        return {
          pendingOperations: queue.map((op) => (op === mergeableAdd ? merged : op)),
          dropShadow: false,
          dead: false,
          ...(renameTo !== undefined ? { renameTo: String(renameTo) } : {}),
        };
      }
      if (queue.some((op) => op.type === 'delete')) return { pendingOperations: queue, dropShadow: false, dead: true };
      {
        const delta = notYetQueued(queue, requested.delta);
        if (delta.length === 0) return { pendingOperations: queue, dropShadow: false, dead: false };
        return { pendingOperations: [...queue, fresh({ type: 'modify', delta })], dropShadow: false, dead: false };
      }
    case 'delete':
      if (mergeableAdd && !shadow.exists) return { pendingOperations: [], dropShadow: true, dead: true };
      if (queue.some((op) => op.type === 'delete')) return { pendingOperations: queue, dropShadow: false, dead: true };
      // Modifications of an account about to be deleted are moot.
      return { pendingOperations: [fresh({ type: 'delete' })], dropShadow: false, dead: true };
  }
}
