/** Optimistic concurrency: the document changed since it was read. The caller re-reads and retries, or reports. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(readonly collection: string, readonly oid: string, readonly expectedVersion: number) {
    super(`${collection} ${oid} was changed by someone else (expected version ${expectedVersion}); re-read and retry`);
  }
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly collection: string, readonly ref: string) {
    super(`no ${collection} object with oid or name '${ref}'`);
  }
}

export function isDuplicateKeyError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: number }).code === 11000;
}

/** MongoDB can't be reached right now (restarting, network): the work should wait and retry, not give up. */
export function isStorageUnavailableError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name ?? '';
  return /^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|Topology|TopologyClosed|PoolCleared)Error$/.test(name);
}
