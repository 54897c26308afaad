import type { Collection, Db, Document, UpdateFilter } from 'mongodb';
import { byOid } from './ids';
import { indexShadowIdentifiers } from './shadow-identifiers';
import { indexUserName } from './user-names';
import type { ShadowDoc, UserDoc } from '../schema/objects';

const shadowsCollection = 'shadows';
const usersCollection = 'users';
import { VersionConflictError, isDuplicateKeyError } from './errors';

/** Every stored object has an oid and a version incremented by every update. */
export interface Versioned {
  oid: string;
  version: number;
}

/**
 * FerretDB 1.24 evaluates an update's filter and writes the document in two steps, so a filter on
 * `version` alone does not stop two writers of the same version (measured: 12 concurrent writers, 6 lost
 * updates). The step from version v to v+1 is therefore claimed first by inserting `<collection>/<oid>/<v+1>`
 * into this collection: `_id` is unique, so exactly one writer gets each version.
 */
export const versionClaimsCollection = 'versionClaims';

/** A claim older than this whose document never reached its version was left by a crashed writer. */
const abandonedClaimMs = 30_000;

interface VersionClaim {
  _id: string;
  claimedAt: Date;
}

const claimId = (collection: string, oid: string, version: number) => `${collection}/${oid}/${version}`;

async function releaseIfAbandoned(claims: Collection<VersionClaim>, id: string): Promise<void> {
  const claim = await claims.findOne({ _id: id });
  if (claim && claim.claimedAt.getTime() < Date.now() - abandonedClaimMs) await claims.deleteOne({ _id: id });
}

function claimsOf(db: Db): Collection<VersionClaim> {
  return db.collection<VersionClaim>(versionClaimsCollection);
}

/**
 * Updates one document only if it still has `expectedVersion`; the version is incremented in the same
 * update. Throws VersionConflictError when someone else updated it first.
 */
export async function updateVersioned<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  expectedVersion: number,
  update: UpdateFilter<T>,
): Promise<T> {
  const claims = claimsOf(collection.db);
  const id = claimId(collection.collectionName, oid, expectedVersion + 1);
  try {
    await claims.insertOne({ _id: id, claimedAt: new Date() });
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    await releaseIfAbandoned(claims, id);
    throw new VersionConflictError(collection.collectionName, oid, expectedVersion);
  }
  // Holding the claim for v+1, nobody else can move the document away from v: check it is still there.
  // (Filters are by _id alone: FerretDB scans the collection for anything else.)
  const current = (await collection.findOne(byOid<T>(oid), { projection: { version: 1 } })) as { version?: number } | null;
  if (current?.version !== expectedVersion) {
    await claims.deleteOne({ _id: id });
    throw new VersionConflictError(collection.collectionName, oid, expectedVersion);
  }
  const inc = { ...((update.$inc as Record<string, number>) ?? {}), version: 1 };
  await collection.updateOne(byOid<T>(oid), { ...update, $inc: inc } as unknown as UpdateFilter<T>);
  // Only the newest claim of a document needs to stay: it stops writers still at the version before.
  await claims.deleteOne({ _id: claimId(collection.collectionName, oid, expectedVersion) });
  const stored = (await collection.findOne(byOid<T>(oid), { projection: { _id: 0 } })) as T | null;
  // A shadow's identifiers changed (created account, rename): keep its index keys current. Likewise a
  // user's name (renames are rare; the old key is left and fails the lookup's check).
  const sets = (field: string) => Object.prototype.hasOwnProperty.call(update.$set ?? {}, field);
  if (stored && collection.collectionName === shadowsCollection && (sets('primaryIdentifier') || sets('secondaryIdentifier'))) {
    await indexShadowIdentifiers(collection.db, stored as unknown as ShadowDoc);
  }
  if (stored && collection.collectionName === usersCollection && sets('name')) await indexUserName(collection.db, stored as unknown as UserDoc);
  return stored ?? (({ oid, version: expectedVersion + 1 }) as T);
}

/**
 * Read-modify-write with optimistic concurrency: `change` computes the update from the current document
 * (null: nothing to change); lost races are retried with a fresh read, up to `attempts` times. Every
 * write to a stored object goes through here, so concurrent writers never overwrite each other.
 */
export async function modifyWithRetry<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  change: (current: T) => UpdateFilter<T> | null,
  attempts = 20,
): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    const current = (await collection.findOne(byOid<T>(oid), { projection: { _id: 0 } })) as T | null;
    if (!current) return null;
    const update = change(current);
    if (!update) return current;
    try {
      return await updateVersioned(collection, oid, current.version, update);
    } catch (e) {
      if (!(e instanceof VersionConflictError) || attempt >= attempts) throw e;
      // Back off a little, with jitter, so racing writers spread out.
      await new Promise((r) => setTimeout(r, Math.min(200, 5 * attempt) * (0.5 + Math.random())));
    }
  }
}

/** A blind update of some fields, still claimed and versioned like every other write. */
export async function setFields<T extends Versioned & Document>(
  collection: Collection<T>,
  oid: string,
  fields: Partial<T> | Record<string, unknown>,
): Promise<T | null> {
  return modifyWithRetry(collection, oid, () => ({ $set: fields }) as UpdateFilter<T>);
}
