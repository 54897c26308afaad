/**
 * Index documents that find a shadow by its resource object's identifiers with a lookup by `_id`
 * (FerretDB scans the whole collection for any other filter): `<resourceOid>|p|<primaryIdentifier>` and
 * `<resourceOid>|s|<secondaryIdentifier, lower case>` -> shadowOid. Inserting the primary key first is also
 * what keeps one shadow per resource object when two changes of a new object race.
 * Keys may be stale (an old name): a lookup always checks the shadow it finds.
 */
import type { Collection, Db } from 'mongodb';
import type { ShadowDoc } from '../schema/objects';

export const shadowIdentifiersCollection = 'shadowIdentifiers';

interface IdentifierKey {
  _id: string;
  shadowOid: string;
}

export interface ShadowIdentifiers {
  primaryIdentifier?: string | null;
  secondaryIdentifier?: string | null;
}

const primaryKey = (resourceOid: string, id: string) => `${resourceOid}|p|${id}`;
const secondaryKey = (resourceOid: string, name: string) => `${resourceOid}|s|${name.toLowerCase()}`;

export function identifierKeys(db: Db): Collection<IdentifierKey> {
  return db.collection<IdentifierKey>(shadowIdentifiersCollection);
}

function keysOf(shadow: Pick<ShadowDoc, 'resourceRef'> & ShadowIdentifiers): string[] {
  return [
    ...(shadow.primaryIdentifier ? [primaryKey(shadow.resourceRef, shadow.primaryIdentifier)] : []),
    ...(shadow.secondaryIdentifier ? [secondaryKey(shadow.resourceRef, shadow.secondaryIdentifier)] : []),
  ];
}

/** Points the shadow's current identifiers at it (the newest shadow of a name wins). */
export async function indexShadowIdentifiers(db: Db, shadow: Pick<ShadowDoc, 'oid' | 'resourceRef'> & ShadowIdentifiers): Promise<void> {
  const keys = identifierKeys(db);
  for (const _id of keysOf(shadow)) {
    await keys.updateOne({ _id }, { $set: { shadowOid: shadow.oid } }, { upsert: true });
  }
}

/** Removes the keys that still point at this shadow. */
export async function unindexShadowIdentifiers(db: Db, shadow: Pick<ShadowDoc, 'oid' | 'resourceRef'> & ShadowIdentifiers): Promise<void> {
  const keys = identifierKeys(db);
  for (const _id of keysOf(shadow)) {
    if ((await keys.findOne({ _id }))?.shadowOid === shadow.oid) await keys.deleteOne({ _id });
  }
}

/**
 * Claims the primary identifier for a new shadow, already inserted. False when another shadow holds it;
 * a key left behind by a shadow that no longer exists (a crash while deleting) is taken over.
 */
export async function claimPrimaryIdentifier(
  db: Db,
  shadows: Collection<ShadowDoc>,
  shadow: Pick<ShadowDoc, 'oid' | 'resourceRef' | 'primaryIdentifier'>,
): Promise<boolean> {
  if (!shadow.primaryIdentifier) return true;
  const keys = identifierKeys(db);
  const _id = primaryKey(shadow.resourceRef, shadow.primaryIdentifier);
  try {
    await keys.insertOne({ _id, shadowOid: shadow.oid });
    return true;
  } catch (e) {
    if ((e as { code?: number }).code !== 11000) throw e;
  }
  const holder = await keys.findOne({ _id });
  if (holder && (await shadows.findOne({ _id: holder.shadowOid } as never))) return false;
  await keys.updateOne({ _id }, { $set: { shadowOid: shadow.oid } }, { upsert: true });
  return true;
}

/** Finds the shadow by primary, then secondary identifier; each candidate is checked against the key. */
export async function findShadowByIdentifiers(
  db: Db,
  shadows: Collection<ShadowDoc>,
  resourceOid: string,
  ids: ShadowIdentifiers,
): Promise<ShadowDoc | null> {
  const keys = identifierKeys(db);
  const candidates: Array<[string, (s: ShadowDoc) => boolean]> = [];
  if (ids.primaryIdentifier) {
    const wanted = ids.primaryIdentifier;
    candidates.push([primaryKey(resourceOid, wanted), (s) => s.primaryIdentifier === wanted]);
  }
  if (ids.secondaryIdentifier) {
    const wanted = ids.secondaryIdentifier.toLowerCase();
    candidates.push([secondaryKey(resourceOid, wanted), (s) => s.secondaryIdentifier?.toLowerCase() === wanted]);
  }
  for (const [_id, matches] of candidates) {
    const key = await keys.findOne({ _id });
    if (!key) continue;
    const shadow = (await shadows.findOne({ _id: key.shadowOid } as never, { projection: { _id: 0 } })) as ShadowDoc | null;
    if (shadow && shadow.resourceRef === resourceOid && matches(shadow)) return shadow;
  }
  return null;
}
