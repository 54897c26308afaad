/**
 * Reading LDAP changes from the accesslog (`changelog: { type: accesslog }`): the latest position and
 * the changes after a position. What the records mean is decided in ldap-changelog.
 */
import { AndFilter, EqualityFilter, FilterParser, NotFilter, type Client, type Entry, type Filter } from 'ldapts';
import { ConnectorError } from '../connector-errors';
import type { ChangesPage } from '../connector-types';
import { isDnValue } from './ldap-associations';
import { CSN_PATTERN, csnAt, csnTime, nextWindowWidth, pageOfChanges, recordsToChanges, routeToType, type ChangelogEntitlement } from './ldap-changelog';
import type { LdapContext } from './ldap-connection';
import { isOfType, overlaps } from './ldap-delineation';
import { entryAttribute } from './ldap-entries';
import { LDAP_INITIAL_TOKEN, type AccesslogRecord } from './ldap-types';

const RECORD_ATTRIBUTES = [
  'entryCSN',
  'reqType',
  'reqDN',
  'reqEntryUUID',
  'reqMod',
  'reqNewRDN',
  'reqDeleteOldRDN',
  'reqNewSuperior',
  'reqNewDN',
  'reqAuthzID',
];

const equality = (attribute: string, value: string): Filter => new EqualityFilter({ attribute, value });

function changelogBase(ctx: LdapContext): string {
  if (!ctx.config.changelog) {
    throw new ConnectorError('configuration', `resource ${ctx.config.url} has no changelog configured (changelog: { type: accesslog })`);
  }
  return ctx.config.changelog.base;
}

async function readAccesslog(ctx: LdapContext, c: Client, filter: Filter, attributes: string[]): Promise<Entry[]> {
  const entries: Entry[] = [];
  for await (const page of c.searchPaginated(changelogBase(ctx), { scope: 'one', filter, attributes, paged: { pageSize: 1000 } })) {
    entries.push(...page.searchEntries);
  }
  return entries;
}

function toRecord(e: Entry): AccesslogRecord {
  const one = (name: string) => entryAttribute(e, name)[0];
  return {
    dn: e.dn,
    entryCSN: one('entryCSN') ?? '',
    reqType: one('reqType') ?? '',
    reqDN: one('reqDN') ?? '',
    reqEntryUUID: one('reqEntryUUID'),
    reqMod: entryAttribute(e, 'reqMod'),
    reqNewRDN: one('reqNewRDN'),
    reqDeleteOldRDN: one('reqDeleteOldRDN'),
    reqNewSuperior: one('reqNewSuperior'),
    reqNewDN: one('reqNewDN'),
    reqAuthzID: one('reqAuthzID'),
  };
}

function validToken(token: string): string {
  if (token !== LDAP_INITIAL_TOKEN && !CSN_PATTERN.test(token)) {
    throw new ConnectorError('configuration', `not an LDAP changelog token (entryCSN): ${token}`);
  }
  return token;
}

/** Groups listing members by DN: their member changes are changes of the accounts (memberUid groups are not). */
function changelogEntitlements(ctx: LdapContext): ChangelogEntitlement[] {
  return ctx.associations.filter(isDnValue).map((a) => ({ baseContext: a.base, memberAttribute: a.memberAttribute, association: a.attribute }));
}

/** How many milliseconds of changelog a window spans at first, at least and at most. */
const WINDOW_MS = { first: 1000, least: 1, most: 7 * 24 * 3600_000 };
/** Each connector's last window width, about a page of records: a backlog is read a window at a time. */
const windowWidths = new WeakMap<LdapContext, number>();

const csnFilter = (text: string): Filter => FilterParser.parseString(text);

/** The successful write records in [lower, upper): `lower` absent, from the changelog's start. */
function windowFilter(lower: string | undefined, upper: string): Filter {
  return new AndFilter({
    filters: [
      equality('objectClass', 'auditWriteObject'),
      equality('reqResult', '0'),
      ...(lower ? [csnFilter(`(entryCSN>=${lower})`)] : []),
      // Both comparisons use the entryCSN index; `!(entryCSN>=upper)` alone would not.
      csnFilter(`(entryCSN<=${upper})`),
      new NotFilter({ filter: equality('entryCSN', upper) }),
    ],
  });
}

/** The CSN of a write record at or after `from` (the first the server finds), or of any record without it. */
async function aRecordFrom(ctx: LdapContext, c: Client, from: string | undefined): Promise<string | undefined> {
  const filters = [equality('objectClass', 'auditWriteObject'), equality('reqResult', '0'), ...(from ? [csnFilter(`(entryCSN>=${from})`)] : [])];
  const { searchEntries } = await c.search(changelogBase(ctx), { scope: 'one', filter: new AndFilter({ filters }), attributes: ['entryCSN'], sizeLimit: 1 });
  return searchEntries.map((e) => entryAttribute(e, 'entryCSN')[0]).find((csn) => csn !== undefined);
}

/**
 * The records after `token`, oldest windows first, until about `limit` are read or none are left: each
 * window is read whole, so every record before the last window's end is read, and a poll far behind reads
 * about a page, not the whole backlog. Undefined when the token's own record is gone (purged).
 */
async function recordsAfter(ctx: LdapContext, c: Client, token: string, limit: number): Promise<AccesslogRecord[] | undefined> {
  const initial = token === LDAP_INITIAL_TOKEN;
  let lower = initial ? undefined : token;
  // The time a window's width counts from: the token's, or a record's found ahead.
  let from = initial ? await aRecordFrom(ctx, c, undefined) : token;
  const records: AccesslogRecord[] = [];
  let width = windowWidths.get(ctx) ?? WINDOW_MS.first;
  for (let first = true; from !== undefined; first = false) {
    const upper = csnAt(csnTime(from) + width);
    const read = (await readAccesslog(ctx, c, windowFilter(lower, upper), RECORD_ATTRIBUTES)).map(toRecord).filter((r) => r.entryCSN !== '');
    if (first && !initial && !read.some((r) => r.entryCSN === token)) return undefined;
    const after = read.filter((r) => r.entryCSN !== token);
    records.push(...after);
    const start = from;
    const fitting = nextWindowWidth(width, after.length, limit, () => csnTime(after.map((r) => r.entryCSN).sort()[limit - 1]!) - csnTime(start) + 1);
    width = Math.round(Math.min(WINDOW_MS.most, Math.max(WINDOW_MS.least, fitting)));
    windowWidths.set(ctx, width);
    if (records.length >= limit) break;
    lower = upper;
    from = await aRecordFrom(ctx, c, upper);
  }
  return records;
}

export async function changesSince(ctx: LdapContext, token: string, limit?: number): Promise<ChangesPage> {
  const { config } = ctx;
  validToken(token);
  // A bounded page by default: the result travels in a workflow history.
  const max = limit ?? config.pageSize;
  const page = await ctx.connection.withPagedSearch(`changes since ${token}`, async (c): Promise<ChangesPage | undefined> => {
    const records = await recordsAfter(ctx, c, token, max);
    if (!records) return undefined;
    const all = recordsToChanges(records, {
      baseContext: config.baseContext,
      entryUuidIsPrimary: config.primaryIdentifier.toLowerCase() === 'entryuuid',
      ignoreModifiers: config.changelog?.ignoreModifiers ?? [config.bindDn],
      entitlements: changelogEntitlements(ctx),
    });
    // The position advances over records outside the base context too, so they are not read again.
    const sortedCsns = records.map((r) => r.entryCSN).sort();
    const changes = pageOfChanges(all, max);
    // Entitlement types whose entries may be under the accounts' base: their changes there are told apart by reading the entry.
    const sharedBases = ctx.entitlements.filter((e) => overlaps(e, ctx.accounts));
    const routed = await routeToType(changes, sharedBases, (dn) => isOfType(c, ctx.accounts, dn));
    if (changes.length === all.length) {
      return { changes: routed, token: sortedCsns[sortedCsns.length - 1] ?? token };
    }
    return { changes: routed, token: changes[changes.length - 1].token };
  });
  // The token's record was purged: live sync goes on from the latest, and reconciliation finds what was missed.
  return page ?? { changes: [], token: await latestToken(ctx), expired: true };
}

/** The newest record's CSN: windows back from now, each twice as long, until one holds a record. */
export async function latestToken(ctx: LdapContext): Promise<string> {
  return ctx.connection.withPagedSearch('latest changelog token', async (c) => {
    const now = Date.now();
    for (let back = WINDOW_MS.first; ; back *= 2) {
      const since = now - back > 0 ? csnAt(now - back) : undefined;
      const filters = [equality('objectClass', 'auditWriteObject'), ...(since ? [csnFilter(`(entryCSN>=${since})`)] : [])];
      const entries = await readAccesslog(ctx, c, new AndFilter({ filters }), ['entryCSN']);
      let max: string | undefined;
      for (const e of entries) {
        const csn = entryAttribute(e, 'entryCSN')[0];
        if (csn !== undefined && (max === undefined || csn > max)) max = csn;
      }
      if (max !== undefined) return max;
      if (!since) return LDAP_INITIAL_TOKEN;
    }
  });
}
