/** Reading LDAP accounts: get, the paged search, whether a name is taken, and the schema. */
import { randomUUID } from 'node:crypto';
import { EqualityFilter, OrFilter, type Client, type Entry } from 'ldapts';
import type { ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { SearchPage } from '../connector-types';
import { requireIdentifier, type ObjectIdentifiers } from '../identifiers';
import { groupsWithMember, isAssociationOf, membershipIndex, membershipsFromIndex, subjectValue, valueAttributesToRead } from './ldap-associations';
import type { LdapContext } from './ldap-connection';
import { anyEntryUnder, findByIdentifier, readByDn, typeFilter } from './ldap-delineation';
import { entryToResourceObject } from './ldap-entries';
import { attributesAllowed, attributesOfClasses } from './ldap-schema';
import { decodeSearchCursor, encodeSearchCursor } from './ldap-search-sessions';
import { readSubschema } from './ldap-subschema';

/** The LDAP attributes to read for `attributesToGet` (all when undefined): with what memberships and identifiers need. */
export function readAttributes(ctx: LdapContext, attributesToGet?: string[]): string[] {
  const { associations, config } = ctx;
  return [
    ...(attributesToGet?.filter((a) => !isAssociationOf(associations, a)) ?? ['*']),
    ...(attributesToGet && associations.length > 0 ? valueAttributesToRead(associations) : []),
    config.primaryIdentifier,
    'structuralObjectClass',
  ];
}

/** Associations asked for: all when no attributes are named, else those named. */
function wantedAssociations(ctx: LdapContext, attributesToGet?: string[]) {
  return attributesToGet === undefined
    ? ctx.associations
    : ctx.associations.filter((a) => attributesToGet.some((n) => n.toLowerCase() === a.attribute.toLowerCase()));
}

function toObject(ctx: LdapContext, entry: Entry, requested?: string[]): ResourceObject {
  return entryToResourceObject(entry, { primaryIdentifier: ctx.config.primaryIdentifier, defaultObjectClass: ctx.structuralClass, requested });
}

/** The account with this primary identifier (entryUUID or the configured one), under the accounts' delineation. */
export function findByPrimary(ctx: LdapContext, c: Client, primaryIdentifier: string, attributes: string[]): Promise<Entry> {
  return findByIdentifier(c, ctx.accounts, ctx.config.primaryIdentifier, primaryIdentifier, attributes);
}

/** The entry at `dn`, whatever its type: what was just written, read back. */
export function readWritten(ctx: LdapContext, c: Client, dn: string): Promise<Entry> {
  return readByDn(c, anyEntryUnder(ctx.config.baseContext), dn, readAttributes(ctx));
}

/** The entry as a resource object with its memberships (one search per association). */
export async function toObjectWithAssociations(ctx: LdapContext, c: Client, entry: Entry, requested?: string[]): Promise<ResourceObject> {
  const object = toObject(ctx, entry, requested);
  for (const a of wantedAssociations(ctx, requested)) {
    const value = subjectValue(a, entry);
    const groups = value === undefined ? [] : await groupsWithMember(c, a, value);
    if (groups.length > 0) object.attributes[a.attribute] = groups;
  }
  return object;
}

/** Memberships of a page of entries, from one read of each association's groups. */
async function pageWithAssociations(ctx: LdapContext, entries: Entry[], requested?: string[]): Promise<ResourceObject[]> {
  const objects = entries.map((e) => toObject(ctx, e, requested));
  const wanted = wantedAssociations(ctx, requested);
  if (wanted.length === 0 || entries.length === 0) return objects;
  await ctx.connection.withPagedSearch('read group memberships', async (c) => {
    for (const a of wanted) {
      const index = await membershipIndex(c, a);
      entries.forEach((entry, i) => {
        const groups = membershipsFromIndex(a, index, subjectValue(a, entry));
        if (groups.length > 0) objects[i].attributes[a.attribute] = groups;
      });
    }
  });
  return objects;
}

export async function getAccount(
  ctx: LdapContext,
  identifiers: ObjectIdentifiers,
  attributesToGet?: string[],
): Promise<ResourceObject> {
  requireIdentifier(identifiers);
  const { primaryIdentifier, secondaryIdentifier } = identifiers;
  const attributes = readAttributes(ctx, attributesToGet);
  return ctx.connection.withClient(`get ${primaryIdentifier ?? secondaryIdentifier}`, async (c) => {
    const entry =
      primaryIdentifier !== undefined
        ? await findByPrimary(ctx, c, primaryIdentifier, attributes)
        : await readByDn(c, ctx.accounts, secondaryIdentifier!, attributes);
    return toObjectWithAssociations(ctx, c, entry, attributesToGet);
  });
}

/** The accounts with these primary identifiers, in one search, with their memberships; those not found are left out. */
export async function getAccounts(ctx: LdapContext, primaryIdentifiers: readonly string[], attributesToGet?: string[]): Promise<ResourceObject[]> {
  if (primaryIdentifiers.length === 0) return [];
  const attribute = ctx.config.primaryIdentifier;
  const filter = typeFilter(ctx.accounts, new OrFilter({ filters: primaryIdentifiers.map((value) => new EqualityFilter({ attribute, value })) }));
  const { searchEntries } = await ctx.connection.withClient(`get ${primaryIdentifiers.length} entries`, (c) =>
    c.search(ctx.accounts.base, { scope: 'sub', filter, attributes: readAttributes(ctx, attributesToGet) }),
  );
  return pageWithAssociations(ctx, searchEntries, attributesToGet);
}

/** Whether an entry of any type has this DN. */
export async function nameTaken(ctx: LdapContext, dn: string): Promise<boolean> {
  return ctx.connection.withClient(`read ${dn}`, async (c) => {
    try {
      await readByDn(c, anyEntryUnder(ctx.config.baseContext), dn, ['1.1']);
      return true;
    } catch (e) {
      if (e instanceof ConnectorError && e.kind === 'not-found') return false;
      throw e;
    }
  });
}

export async function searchAccounts(ctx: LdapContext, options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }): Promise<SearchPage> {
  const pageSize = options.pageSize ?? ctx.config.pageSize;
  const cursor = options.cursor ? decodeSearchCursor(options.cursor) : { id: randomUUID(), offset: 0 };
  try {
    const { entries, more } = await ctx.searches.nextPage(cursor, ctx.accounts, readAttributes(ctx, options.attributesToGet), pageSize);
    return {
      objects: await pageWithAssociations(ctx, entries, options.attributesToGet),
      cursor: more ? encodeSearchCursor({ id: cursor.id, offset: cursor.offset + entries.length }) : undefined,
    };
  } catch (e) {
    ctx.searches.close(cursor.id);
    throw ctx.connection.fail(e, `search ${ctx.config.baseContext}`);
  }
}

export async function readSchema(ctx: LdapContext): Promise<{ objectClass: string; attributes: string[] }> {
  return ctx.connection.withClient('read schema', async (c) => ({
    objectClass: ctx.structuralClass,
    attributes: attributesOfClasses((await readSubschema(c)).objectClasses, ctx.config.objectClasses),
  }));
}

export async function attributesOf(ctx: LdapContext, objectClasses: readonly string[]): Promise<{ attributes: string[]; unknownClasses: string[] }> {
  return ctx.connection.withClient('read schema', async (c) => attributesAllowed(await readSubschema(c), objectClasses));
}
