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

/**
 * Server codes of a MongoDB that is going away or can't take writes now: InterruptedAtShutdown,
 * ShutdownInProgress, InterruptedDueToReplStateChange, PrimarySteppedDown, NotWritablePrimary,
 * NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary.
 */
const UNAVAILABLE_CODES = new Set([11600, 91, 11602, 189, 10107, 13435, 13436]);

/** MongoDB can't be reached right now (restarting, network): the work should wait and retry, not give up. */
export function isStorageUnavailableError(e: unknown): boolean {
  const error = e as { name?: string; code?: unknown } | null;
  const name = error?.name ?? '';
  if (/^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|Topology|TopologyClosed|PoolCleared)Error$/.test(name)) return true;
  // A command the server interrupted as it shut down (or stepped down) is refused by a server going away.
  return /^Mongo(Server|Bulk|WriteConcern)Error$/.test(name) && typeof error?.code === 'number' && UNAVAILABLE_CODES.has(error.code);
}
