/**
 * Changes the synchronization routine keeps failing on (not an outage, not configuration), as their
 * processChange workflows hold them while retrying and once failed: the record live sync reads to queue
 * an object's later changes behind its held one.
 */
import type { HeldChangeDoc } from '../repository/repository';
import type { ResourceChange } from '../schema/objects';
import { nowOf, type SyncDeps } from './sync-deps';

/** The names a change gives its object (stable identifier, name), lower-cased as held records keep them. */
export function heldObjectKeys(change: ResourceChange): string[] {
  const names = [change.primaryIdentifier, change.currentObject?.primaryIdentifier, change.secondaryIdentifier, change.currentObject?.secondaryIdentifier];
  return [...new Set(names.filter((n): n is string => !!n).map((n) => n.toLowerCase()))];
}

/** Where the workflow holding the change stands with it. */
export type HeldChange = Pick<HeldChangeDoc, 'state' | 'attempt' | 'maxAttempts' | 'lastError' | 'nextTryAt' | 'since'> & {
  workflowId: string;
  change: ResourceChange;
};

export async function holdChange(deps: SyncDeps, held: HeldChange): Promise<void> {
  const { workflowId, change, ...where } = held;
  const doc: Omit<HeldChangeDoc, 'version'> = {
    oid: workflowId,
    resourceRef: change.resourceRef,
    objectKeys: heldObjectKeys(change),
    ...where,
    change: {
      changeType: change.changeType,
      channel: change.channel,
      ...(change.primaryIdentifier ? { primaryIdentifier: change.primaryIdentifier } : {}),
      ...(change.secondaryIdentifier ? { secondaryIdentifier: change.secondaryIdentifier } : {}),
    },
    updatedAt: nowOf(deps),
  };
  await deps.repo.liveSync.holdChange(doc);
}

/** Of these changes, the ones whose object has a change held, each with the workflow holding it. */
export async function heldBehind(deps: SyncDeps, resourceOid: string, changes: readonly ResourceChange[]): Promise<Map<ResourceChange, string>> {
  const held = await deps.repo.liveSync.heldObjects(resourceOid, changes.flatMap(heldObjectKeys));
  const behind = new Map<ResourceChange, string>();
  for (const change of changes) {
    const workflowId = heldObjectKeys(change).map((key) => held.get(key)).find((id) => id !== undefined);
    if (workflowId) behind.set(change, workflowId);
  }
  return behind;
}
