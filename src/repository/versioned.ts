import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { VersionConflictError } from './errors';

/** Every stored object has an oid and a version incremented by every update. */
export interface Versioned {
  oid: string;
  version: number;
}

/**
 * Updates one document only if it still has `expectedVersion`; the version is incremented in the same
 * atomic update. Throws VersionConflictError when someone else updated it first.
 */
export async function updateVersioned<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  expectedVersion: number,
  update: UpdateFilter<T>,
): Promise<T> {
  const inc = { ...((update.$inc as Record<string, number>) ?? {}), version: 1 };
  const result = await collection.findOneAndUpdate(
    { oid, version: expectedVersion } as Filter<T>,
    { ...update, $inc: inc } as unknown as UpdateFilter<T>,
    // FerretDB 1.24 has no projection in findAndModify: drop _id here.
    { returnDocument: 'after' },
  );
  if (!result) throw new VersionConflictError(collection.collectionName, oid, expectedVersion);
  const { _id, ...document } = result as unknown as T & { _id?: unknown };
  return document as unknown as T;
}

/**
 * Read-modify-write with optimistic concurrency: `change` computes the update from the current document;
 * lost races are retried with a fresh read, up to `attempts` times.
 */
export async function modifyWithRetry<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  change: (current: T) => UpdateFilter<T> | null,
  attempts = 10,
): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    const current = (await collection.findOne({ oid } as Filter<T>, { projection: { _id: 0 } })) as T | null;
    if (!current) return null;
    const update = change(current);
    if (!update) return current;
    try {
      return await updateVersioned(collection, oid, current.version, update);
    } catch (e) {
      if (!(e instanceof VersionConflictError) || attempt >= attempts) throw e;
    }
  }
}
