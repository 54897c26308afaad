/**
 * First step of the synchronization routine, whatever found the change: read the resource object (unless
 * the mechanism already did) and make sure its shadow exists.
 */
import type { ResourceChange, ResourceObject, ShadowDoc } from '../schema/objects';
import { accountShadowByIdentifiers, classifyError, ensureShadow, fetchResourceObject, markShadowGone, resourceOf } from '../provisioning';
import { nowOf, type SyncDeps } from './sync-deps';

export interface Observation {
  resourceOid: string;
  resourceName: string;
  /** Null when the object is gone and Tally never knew it. */
  shadowOid: string | null;
  shadowCreated: boolean;
  exists: boolean;
  object: ResourceObject | null;
  ownerRef: string | null;
  /** The shadow as stored now. */
  shadow: ShadowDoc | null;
}

/** The resource can't be asked about the object now (the change waits for it to come back). */
export class ResourceUnreachableError extends Error {
  override readonly name = 'ResourceUnreachableError';
  constructor(
    readonly resourceOid: string,
    readonly resourceName: string,
    message: string,
  ) {
    super(message);
  }
}

export async function observeResourceObject(deps: SyncDeps, change: ResourceChange): Promise<Observation> {
  const resource = await resourceOf(deps, change.resourceRef);
  const ids = {
    primaryIdentifier: change.primaryIdentifier ?? change.currentObject?.primaryIdentifier,
    secondaryIdentifier: change.secondaryIdentifier ?? change.currentObject?.secondaryIdentifier,
  };
  const object = change.currentObject ?? (change.changeType === 'delete' ? null : await fetchOrUnreachable(deps, resource, ids));
  if (!object) {
    const shadow = await accountShadowByIdentifiers(deps, resource.oid, ids);
    if (shadow) await markShadowGone(deps, shadow, change.channel, nowOf(deps));
    return { resourceOid: resource.oid, resourceName: resource.name, shadowOid: shadow?.oid ?? null, shadowCreated: false, exists: false, object: null, ownerRef: shadow?.ownerRef ?? null, shadow };
  }
  const { shadow, created } = await ensureShadow(deps, resource, object, change.channel, nowOf(deps));
  return { resourceOid: resource.oid, resourceName: resource.name, shadowOid: shadow.oid, shadowCreated: created, exists: true, object, ownerRef: shadow.ownerRef, shadow };
}

async function fetchOrUnreachable(deps: SyncDeps, resource: { oid: string; name: string }, ids: Parameters<typeof fetchResourceObject>[2]): Promise<ResourceObject | null> {
  try {
    return await fetchResourceObject(deps, resource.oid, ids);
  } catch (e) {
    const error = classifyError(e);
    if (error.handling === 'postpone') throw new ResourceUnreachableError(resource.oid, resource.name, error.message);
    throw e;
  }
}
