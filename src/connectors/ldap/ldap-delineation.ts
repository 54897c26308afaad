/**
 * An LDAP object type is its delineation: the base context its entries live under and the filter
 * (object class and search filter) they match. Every read of a type goes through it: the paged
 * search, a read by DN, a read by primary identifier, and the changelog's routing of a change to the
 * type its entry belongs to. So an entry of another type under the same base (a group under the
 * directory suffix that is also the accounts' base) is never read as one of this type.
 */
import { AndFilter, EqualityFilter, FilterParser, InvalidDNSyntaxError, type Client, type Entry, type Filter } from 'ldapts';
import { ConnectorError } from '../connector-errors';
import { isUnderDn, isWellFormedDnUnder } from './ldap-dn';

export interface LdapDelineation {
  /** The base context: the type's entries are this entry or below it. */
  base: string;
  /** An RFC 4515 filter the type's entries match. */
  filter: string;
}

/** Every entry under `base`, whatever its type: for reading back what was just written, or the base itself. */
export const anyEntryUnder = (base: string): LdapDelineation => ({ base, filter: '(objectClass=*)' });

const objectClassFilter = (objectClass: string) => `(objectClass=${objectClass.replace(/^ri:/, '')})`;
const sameFilter = (a: string, b: string) => a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();

/** The type's filter: its object class and its search filter, both (the object class alone when the search filter says no more). */
export function delineationFilter(objectClass: string | undefined, searchFilter: string | undefined): string {
  if (objectClass === undefined) return searchFilter ?? '(objectClass=*)';
  const byClass = objectClassFilter(objectClass);
  if (searchFilter === undefined || sameFilter(searchFilter, byClass)) return byClass;
  return `(&${byClass}${searchFilter.startsWith('(') ? searchFilter : `(${searchFilter})`})`;
}

/** The type's filter, and `also` (e.g. an identifier's equality) when given. */
export function typeFilter(d: LdapDelineation, also?: Filter): Filter {
  let type: Filter;
  try {
    type = FilterParser.parseString(d.filter);
  } catch (e) {
    throw new ConnectorError('configuration', `the search filter ${d.filter} of the object type under ${d.base} is not an LDAP filter: ${(e as Error).message}`);
  }
  return also === undefined ? type : new AndFilter({ filters: [type, also] });
}

/** Whether `dn` could name an entry of the type: a well-formed DN at or below its base. */
export const isWithin = (d: LdapDelineation, dn: string) => isWellFormedDnUnder(dn, d.base);

/** Whether two types' bases overlap: one's entries may be the other's (the same base, or one under the other). */
export const overlaps = (a: LdapDelineation, b: LdapDelineation) => isUnderDn(a.base, b.base) || isUnderDn(b.base, a.base);

/**
 * The entry `dn` if it is of the type. A name is only ever the base of a search, never part of a
 * filter: a name that is no DN under the base (a typo, or `uid=*)(uid=*`) names no entry of the type.
 */
export async function readByDn(c: Client, d: LdapDelineation, dn: string, attributes: string[]): Promise<Entry> {
  if (!isWithin(d, dn)) throw new ConnectorError('not-found', `no entry ${dn} under ${d.base}`);
  try {
    const { searchEntries } = await c.search(dn, { scope: 'base', filter: typeFilter(d), attributes });
    if (searchEntries.length === 0) throw new ConnectorError('not-found', `no entry ${dn} matching ${d.filter}`);
    return searchEntries[0];
  } catch (e) {
    if (e instanceof InvalidDNSyntaxError) throw new ConnectorError('not-found', `no entry ${dn} (not a valid DN)`);
    if ((e as { code?: number }).code === 32) throw new ConnectorError('not-found', `no entry ${dn}`, 32);
    throw e;
  }
}

/** The one entry of the type whose `attribute` (the primary identifier, e.g. entryUUID) is `value`. */
export async function findByIdentifier(c: Client, d: LdapDelineation, attribute: string, value: string, attributes: string[]): Promise<Entry> {
  const { searchEntries } = await c.search(d.base, { scope: 'sub', filter: typeFilter(d, new EqualityFilter({ attribute, value })), attributes });
  if (searchEntries.length === 0) throw new ConnectorError('not-found', `no entry with ${attribute}=${value} matching ${d.filter} under ${d.base}`);
  if (searchEntries.length > 1) throw new ConnectorError('configuration', `${attribute}=${value} is not unique under ${d.base}`);
  return searchEntries[0];
}

/** The type's entries, page by page (one paged-results search on `c`). */
export function searchPages(c: Client, d: LdapDelineation, attributes: string[], pageSize: number): AsyncGenerator<{ searchEntries: Entry[] }> {
  return c.searchPaginated(d.base, { scope: 'sub', filter: typeFilter(d), attributes, paged: { pageSize } });
}

/** Whether the entry `dn` is of the type: undefined when there is no such entry (any more). */
export async function isOfType(c: Client, d: LdapDelineation, dn: string): Promise<boolean | undefined> {
  for (const delineation of [d, anyEntryUnder(d.base)]) {
    try {
      await readByDn(c, delineation, dn, ['1.1']);
      return delineation === d;
    } catch (e) {
      if (!(e instanceof ConnectorError && e.kind === 'not-found')) throw e;
    }
  }
  return undefined;
}
