/**
 * What every store shares: the collections' names, the collations of names, and the small pieces of
 * queries and writes. Private to the repository folder.
 */
import type { Collection, Filter } from 'mongodb';

export const collectionNames = {
  users: 'users',
  shadows: 'shadows',
  resources: 'resources',
  roles: 'roles',
  objectTemplates: 'objectTemplates',
  syncTokens: 'syncTokens',
  changeEvents: 'changeEvents',
  heldChanges: 'heldChanges',
  runs: 'runs',
  audit: 'audit',
  storage: 'storage',
  operationCancellations: 'operationCancellations',
  simulations: 'simulations',
  simulationItems: 'simulationItems',
  simulationSeen: 'simulationSeen',
  scimObjects: 'scimObjects',
} as const;

/** Names (LDAP DNs, logins) compare without regard to case, in lookups and in uniqueness. */
export const nameCollation = { locale: 'en', strength: 2 } as const;
/** Correlation under a matching rule that ignores case (and accents): a superset the caller narrows by the rule. */
export const ignoringCaseCollation = { locale: 'en', strength: 1 } as const;
export const noId = { projection: { _id: 0 } } as const;
/** A stored object as its readers see it: without `_id` and without bookkeeping that is no part of it (a shadow's `agreement`). */
export const objectFields = { projection: { _id: 0, agreement: 0 } } as const;
export const byId = <T>(oid: string) => ({ _id: oid }) as unknown as Filter<T>;
export const withId = <T extends { oid: string }>(object: T) => ({ ...object, _id: object.oid });
export const hasPending = { 'pendingOperations.0': { $exists: true } } as const;

/** Inserts the objects in one unordered write; the oids a unique index refused come back, other errors are thrown. */
export async function insertAll<T extends { oid: string }>(collection: Collection<T>, objects: readonly T[]): Promise<Set<string>> {
  if (objects.length === 0) return new Set();
  try {
    await collection.insertMany(objects.map((o) => withId(o)) as never, { ordered: false });
    return new Set();
  } catch (e) {
    const refused = duplicateKeyIndexes(e);
    if (!refused) throw e;
    return new Set(refused.map((i) => objects[i].oid));
  }
}

/** The indexes of a bulk write's operations a unique index refused; null when it failed otherwise. */
export function duplicateKeyIndexes(e: unknown): number[] | null {
  const writeErrors = (e as { writeErrors?: Array<{ code?: number; index: number }> | { code?: number; index: number } }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length === 0 || list.some((w) => w.code !== 11000)) return null;
  return list.map((w) => w.index);
}
