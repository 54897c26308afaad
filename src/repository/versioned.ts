/**
 * Optimistic versioning: every stored object has a `version` that every update increments in the same
 * atomic update. A versioned write is ONE conditional update (`{_id, version}`); no match is a conflict.
 */
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';
import { objectFields } from './documents';
import { VersionConflictError } from './errors';

/** Every stored object has an oid (its `_id`) and a version incremented by every update. */
export interface Versioned {
  oid: string;
  version: number;
}

/**
 * A change of some fields of a stored object, in the repository's terms: `set` takes property paths
 * (dotted for nested ones, e.g. `metadata.modifyTimestamp`), `unset` removes them.
 */
export interface Patch {
  set?: Record<string, unknown>;
  unset?: string[];
}

/** The update of a patch, with the version increment every write carries. */
export function updateOf<T extends Document>(patch: Patch, extra: UpdateFilter<T> = {}): UpdateFilter<T> {
  const update: Record<string, unknown> = { ...extra, $inc: { ...((extra.$inc as object) ?? {}), version: 1 } };
  if (patch.set && Object.keys(patch.set).length > 0) update.$set = { ...((extra.$set as object) ?? {}), ...patch.set };
  if (patch.unset && patch.unset.length > 0) update.$unset = Object.fromEntries(patch.unset.map((k) => [k, '']));
  return update as UpdateFilter<T>;
}

/**
 * Updates one document only if it still has `expectedVersion`, in one round trip; returns it as stored.
 * Throws VersionConflictError when someone else updated it first (or it is gone).
 */
export async function updateVersioned<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  expectedVersion: number,
  update: UpdateFilter<T>,
): Promise<T> {
  const stored = await collection.findOneAndUpdate({ _id: oid, version: expectedVersion } as unknown as Filter<T>, update, {
    ...objectFields,
    returnDocument: 'after',
  });
  if (!stored) throw new VersionConflictError(collection.collectionName, oid, expectedVersion);
  return stored as T;
}

/** One versioned update of many: the patch applies only if the object is still at `expectedVersion`. */
export interface VersionedUpdate {
  oid: string;
  expectedVersion: number;
  patch: Patch;
}

/**
 * Many versioned updates in one write (each one conditional, as in updateVersioned). Returns how many
 * applied; which ones, the caller tells by what it wrote (a conflict is left as it is).
 */
export async function updateManyVersioned<T extends Versioned & Document>(collection: Collection<T>, updates: readonly VersionedUpdate[]): Promise<number> {
  if (updates.length === 0) return 0;
  const { matchedCount } = await collection.bulkWrite(
    updates.map((u) => ({ updateOne: { filter: { _id: u.oid, version: u.expectedVersion } as unknown as Filter<T>, update: updateOf<T>(u.patch) } })),
    { ordered: false },
  );
  return matchedCount;
}

/**
 * An update that needs no read first (it sets fields or edits arrays atomically), in one round trip;
 * `where` narrows the match (e.g. to a pending operation). Returns the object as stored, or null when
 * nothing matched.
 */
export async function updateAtomically<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  update: UpdateFilter<T>,
  where: Record<string, unknown> = {},
): Promise<T | null> {
  return (await collection.findOneAndUpdate({ ...where, _id: oid } as unknown as Filter<T>, update, { ...objectFields, returnDocument: 'after' })) as T | null;
}

/**
 * Read-modify-write with optimistic concurrency: `change` computes the patch from the current document
 * (null: nothing to change); lost races are retried with a fresh read, up to `attempts` times.
 */
export async function modifyWithRetry<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  change: (current: T) => Patch | null,
  options: { attempts?: number; known?: T } = {},
): Promise<T | null> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    // The caller's copy saves the first read; a lost race reads afresh.
    const current = attempt === 1 && options.known ? options.known : ((await collection.findOne({ _id: oid } as unknown as Filter<T>, objectFields)) as T | null);
    if (!current) return null;
    const patch = change(current);
    if (!patch) return current;
    try {
      return await updateVersioned(collection, oid, current.version, updateOf<T>(patch));
    } catch (e) {
      if (!(e instanceof VersionConflictError) || attempt >= attempts) throw e;
      // Back off a little, with jitter, so racing writers spread out.
      await new Promise((r) => setTimeout(r, Math.min(100, 2 * attempt) * (0.5 + Math.random())));
    }
  }
}
