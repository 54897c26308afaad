/** Conversion between ldapts entries and resource objects. */
import type { Entry } from 'ldapts';
import type { AttributeValue, Attributes, ResourceObject } from '../../schema/objects';
import { OPERATIONAL_ATTRIBUTES, SECRET_ATTRIBUTES } from './ldap-types';

type EntryValue = Entry[string];

/** ldapts gives one value as a string, several as an array, a missing requested attribute as []. */
export function entryValues(v: EntryValue | undefined): string[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => (Buffer.isBuffer(x) ? x.toString('base64') : x));
}

/** Finds an attribute case-insensitively (servers answer with their own spelling). */
export function entryAttribute(entry: Entry, name: string): string[] {
  const lower = name.toLowerCase();
  for (const key of Object.keys(entry)) {
    if (key !== 'dn' && key.toLowerCase() === lower) return entryValues(entry[key]);
  }
  return [];
}

export interface EntryMapping {
  primaryIdentifier: string;
  /** Fallback when the entry does not report its structuralObjectClass. */
  defaultObjectClass: string;
  /** Attributes the caller asked for explicitly: secrets are returned only when named here. */
  requested?: readonly string[];
}

export function entryToResourceObject(entry: Entry, m: EntryMapping): ResourceObject {
  const primary = entryAttribute(entry, m.primaryIdentifier)[0];
  if (primary === undefined) {
    throw new Error(`entry ${entry.dn} has no ${m.primaryIdentifier}`);
  }
  const requested = new Set((m.requested ?? []).map((a) => a.toLowerCase()));
  const attributes: Attributes = {};
  for (const key of Object.keys(entry)) {
    if (key === 'dn') continue;
    const lower = key.toLowerCase();
    if (lower === m.primaryIdentifier.toLowerCase() || OPERATIONAL_ATTRIBUTES.has(lower)) continue;
    if (SECRET_ATTRIBUTES.has(lower) && !requested.has(lower)) continue;
    const values = entryValues(entry[key]);
    if (values.length > 0) attributes[key] = values;
  }
  return {
    primaryIdentifier: primary,
    secondaryIdentifier: entry.dn,
    objectClass: entryAttribute(entry, 'structuralObjectClass')[0] ?? m.defaultObjectClass,
    attributes,
  };
}

/** LDAP carries strings only; booleans use the LDAP Boolean syntax. */
export function toLdapString(v: AttributeValue): string {
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return String(v);
}

export function toLdapStrings(values: readonly AttributeValue[]): string[] {
  return values.map(toLdapString);
}
