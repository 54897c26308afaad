/**
 * What the SCIM service connector reads: the objects services pushed to its resource, which the caller of
 * `createConnector` hands it (connectors don't reach the repository themselves; `ScimObjectStore.ofResource`
 * is the one given in Tally).
 */
import type { ScimResourceType, StoredScimObject } from '../../schema/scim';

export interface PushedObjects {
  /** The live object (not a deleted one), or null. */
  get(type: ScimResourceType, id: string): Promise<StoredScimObject | null>;
  byUserName(userName: string): Promise<StoredScimObject | null>;
  /** Live objects after `afterId`, in id order. */
  page(type: ScimResourceType, afterId: string | undefined, limit: number): Promise<StoredScimObject[]>;
  groupsOf(memberId: string): Promise<StoredScimObject[]>;
  /** Deletes the object (as a tombstone); false when it was not there. */
  markDeleted(type: ScimResourceType, id: string, at: string): Promise<boolean>;
}

/** What every reading function takes: the objects and the page size. */
export interface ScimServiceContext {
  objects: PushedObjects;
  pageSize: number;
}
