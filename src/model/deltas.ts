/**
 * Item deltas: applying them to users and attribute sets, diffing attribute sets, merging deltas.
 *
 * User properties are single-valued (a `replace` of [] clears, of [v] sets) except `assignment`
 * and `linkRef`, whose values are added and deleted by deep equality. `extension/x` holds one
 * value as the value and several as a list.
 */
import type { AttributeDelta, AttributeValue, Attributes, ItemDelta, UserDoc } from '../schema/objects';
import { asList, attributeName, isMultiValuedUserPath } from './paths';

export class DeltaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeltaError';
  }
}

/** Deep equality of plain data (key order does not matter). */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((item, i) => valuesEqual(item, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && valuesEqual(ao[k], bo[k]));
}

export function includesValue(list: readonly unknown[], value: unknown): boolean {
  return list.some((item) => valuesEqual(item, value));
}

/** Values without duplicates, first occurrence kept. */
export function uniqueValues<T>(list: readonly T[]): T[] {
  const out: T[] = [];
  for (const v of list) if (!includesValue(out, v)) out.push(v);
  return out;
}

/** Same values regardless of order and duplicates. */
export function sameValueSet(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.every((v) => includesValue(b, v)) && b.every((v) => includesValue(a, v));
}

/** The values of a multi-valued item after one delta. */
export function applyValueDelta<T>(current: readonly T[], delta: { replace?: T[]; add?: T[]; delete?: T[] }): T[] {
  let values = delta.replace !== undefined ? [...delta.replace] : [...current];
  if (delta.delete) values = values.filter((v) => !includesValue(delta.delete!, v));
  if (delta.add) for (const v of delta.add) if (!includesValue(values, v)) values.push(v);
  return values;
}

function setNested(target: Record<string, unknown>, segments: string[], value: unknown): void {
  let node = target;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    const copy = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as object) } : {};
    node[segment] = copy;
    node = copy as Record<string, unknown>;
  }
  const last = segments[segments.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

function readNested(source: unknown, segments: string[]): unknown {
  let node = source;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const READ_ONLY_USER_PROPERTIES = new Set(['oid', 'version', 'metadata']);

/** Applies user property deltas; returns a new user, the input is not changed. */
export function applyUserDeltas(user: UserDoc, deltas: readonly ItemDelta[]): UserDoc {
  const result: Record<string, unknown> = { ...user };
  for (const delta of deltas) {
    const segments = delta.path.split('/').filter((s) => s.length > 0);
    if (segments.length === 0 || segments.some((s) => FORBIDDEN_SEGMENTS.has(s))) {
      throw new DeltaError(`invalid user property path '${delta.path}'`);
    }
    if (READ_ONLY_USER_PROPERTIES.has(segments[0]!)) throw new DeltaError(`user property '${delta.path}' cannot be modified by a delta`);
    const key = segments.join('/');
    const current = asList(readNested(result, segments));
    const values = applyValueDelta(current, delta);
    if (isMultiValuedUserPath(key)) {
      setNested(result, segments, values);
      continue;
    }
    if (segments[0] === 'extension' && segments.length > 1) {
      setNested(result, segments, values.length === 0 ? undefined : values.length === 1 ? values[0] : values);
      continue;
    }
    if (values.length > 1) {
      throw new DeltaError(`user property '${key}' is single-valued; the delta leaves ${values.length} values`);
    }
    if (values.length === 0 && key === 'name') throw new DeltaError("user property 'name' cannot be cleared");
    setNested(result, segments, values[0]);
  }
  return result as unknown as UserDoc;
}

/** Applies attribute deltas to an attribute set; returns a new set. An attribute left without values is removed. */
export function applyAttributeDeltas(attributes: Attributes, deltas: readonly AttributeDelta[]): Attributes {
  const result: Attributes = { ...attributes };
  for (const delta of deltas) {
    const name = attributeName(delta.path);
    const existingKey = Object.keys(result).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    const values = applyValueDelta(result[existingKey] ?? [], delta);
    delete result[existingKey];
    if (values.length > 0) result[existingKey] = values;
  }
  return result;
}

export interface AttributeDiffOptions {
  /** Default: false (a difference becomes a replace). */
  multiValued?: (attribute: string) => boolean;
  /** Default: true (values present on the resource but not desired are kept). Only for multi-valued attributes. */
  tolerant?: (attribute: string) => boolean;
}

/**
 * Deltas that turn `current` into `desired` for the attributes named in `desired` (attributes not
 * named there are left alone). Single-valued: a replace when different. Multi-valued: adds, and
 * deletes of undesired values unless tolerant.
 */
export function diffAttributes(current: Attributes, desired: Attributes, options: AttributeDiffOptions = {}): AttributeDelta[] {
  const deltas: AttributeDelta[] = [];
  const lookup = (name: string): AttributeValue[] => {
    if (current[name]) return current[name]!;
    const key = Object.keys(current).find((k) => k.toLowerCase() === name.toLowerCase());
    return key ? current[key]! : [];
  };
  for (const [name, wanted] of Object.entries(desired)) {
    const have = lookup(name);
    if (options.multiValued?.(name)) {
      const add = uniqueValues(wanted.filter((v) => !includesValue(have, v)));
      const tolerant = options.tolerant?.(name) ?? true;
      const del = tolerant ? [] : uniqueValues(have.filter((v) => !includesValue(wanted, v)));
      if (add.length > 0 || del.length > 0) {
        deltas.push({ path: name, ...(add.length > 0 ? { add } : {}), ...(del.length > 0 ? { delete: del } : {}) });
      }
    } else if (!sameValueSet(have, wanted)) {
      deltas.push({ path: name, replace: [...wanted] });
    }
  }
  return deltas;
}

type AnyDelta = { path: string; replace?: unknown[]; add?: unknown[]; delete?: unknown[] };

function without<T>(list: readonly T[] | undefined, remove: readonly T[] | undefined): T[] {
  return (list ?? []).filter((v) => !includesValue(remove ?? [], v));
}

/** One delta per path equivalent to applying `earlier` then `later`. */
function mergeOne<T extends AnyDelta>(earlier: T, later: T): T {
  if (later.replace !== undefined) return { ...later };
  if (earlier.replace !== undefined) {
    return { path: earlier.path, replace: applyValueDelta(earlier.replace, later) } as T;
  }
  const add = uniqueValues([...without(earlier.add, later.delete), ...(later.add ?? [])]);
  const del = uniqueValues([...without(earlier.delete, later.add), ...(later.delete ?? [])]);
  return { path: earlier.path, ...(add.length > 0 ? { add } : {}), ...(del.length > 0 ? { delete: del } : {}) } as T;
}

/**
 * Merges two delta lists (later applied after earlier) into one with a single delta per path:
 * a later replace wins; adds and deletes accumulate (a later delete cancels an earlier add of the
 * same value and vice versa); adds/deletes after a replace are folded into it.
 */
export function mergeDeltas<T extends AnyDelta>(earlier: readonly T[], later: readonly T[]): T[] {
  const byPath = new Map<string, T>();
  for (const delta of [...earlier, ...later]) {
    const existing = byPath.get(delta.path);
    byPath.set(delta.path, existing ? mergeOne(existing, delta) : { ...delta });
  }
  return [...byPath.values()].filter((d) => d.replace !== undefined || (d.add?.length ?? 0) > 0 || (d.delete?.length ?? 0) > 0);
}

/** A user's property deltas turning `before` into `after` for the given keys (replace for single-valued, add/delete for multi-valued). */
export function diffUserProperties(before: UserDoc, after: UserDoc, keys: readonly string[]): ItemDelta[] {
  const deltas: ItemDelta[] = [];
  for (const key of keys) {
    const segments = key.split('/');
    const was = asList(readNested(before, segments));
    const now = asList(readNested(after, segments));
    if (isMultiValuedUserPath(key)) {
      const add = now.filter((v) => !includesValue(was, v));
      const del = was.filter((v) => !includesValue(now, v));
      if (add.length > 0 || del.length > 0) deltas.push({ path: key, ...(add.length > 0 ? { add } : {}), ...(del.length > 0 ? { delete: del } : {}) });
    } else if (!sameValueSet(was, now) || was.length !== now.length) {
      deltas.push({ path: key, replace: now });
    }
  }
  return deltas;
}
