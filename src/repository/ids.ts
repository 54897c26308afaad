import type { Filter } from 'mongodb';

/**
 * Every stored object's `_id` is its oid: FerretDB 1.24 pushes only a filter of exactly `{ _id: <string> }`
 * down to its storage, and scans the whole collection for any other filter. Look objects up with byOid.
 */
export function byOid<T>(oid: string): Filter<T> {
  return { _id: oid } as unknown as Filter<T>;
}

/** The document as stored: with `_id` set to its oid. */
export function withId<T extends { oid: string }>(object: T): T & { _id: string } {
  return { ...object, _id: object.oid };
}

