/**
 * Reading LDAP changes from the accesslog (`changelog: { type: accesslog }`): the latest position and
 * the changes after a position. What the records mean is decided in ldap-changelog.
 */
import { AndFilter, EqualityFilter, FilterParser, type Client, type Entry, type Filter } from 'ldapts';
import { ConnectorError } from '../connector-errors';
import type { ChangesPage } from '../connector-types';
import { isDnValue } from './ldap-associations';
import { CSN_PATTERN, pageOfChanges, recordsToChanges, routeToType, type ChangelogEntitlement } from './ldap-changelog';
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

export async function changesSince(ctx: LdapContext, token: string, limit?: number): Promise<ChangesPage> {
  const { config } = ctx;
  validToken(token);
  const filters: Filter[] = [equality('objectClass', 'auditWriteObject'), equality('reqResult', '0')];
  // The token's own record comes back too: when it is gone, the changelog was purged past it.
  if (token !== LDAP_INITIAL_TOKEN) filters.push(FilterParser.parseString(`(entryCSN>=${token})`));
  return ctx.connection.withPagedSearch(`changes since ${token}`, async (c) => {
    const read = (await readAccesslog(ctx, c, new AndFilter({ filters }), RECORD_ATTRIBUTES)).map(toRecord).filter((r) => r.entryCSN !== '');
    if (token !== LDAP_INITIAL_TOKEN && !read.some((r) => r.entryCSN === token)) {
      return { changes: [], token: read.map((r) => r.entryCSN).sort().pop() ?? (await latestToken(ctx)), expired: true };
    }
    const records = read.filter((r) => r.entryCSN !== token);
    const all = recordsToChanges(records, {
      baseContext: config.baseContext,
      entryUuidIsPrimary: config.primaryIdentifier.toLowerCase() === 'entryuuid',
      ignoreModifiers: config.changelog?.ignoreModifiers ?? [config.bindDn],
      entitlements: changelogEntitlements(ctx),
    });
    // The position advances over records outside the base context too, so they are not read again.
    const sortedCsns = records.map((r) => r.entryCSN).sort();
    // A bounded page by default: the result travels in a workflow history.
    const changes = pageOfChanges(all, limit ?? config.pageSize);
    // Entitlement types whose entries may be under the accounts' base: their changes there are told apart by reading the entry.
    const sharedBases = ctx.entitlements.filter((e) => overlaps(e, ctx.accounts));
    const routed = await routeToType(changes, sharedBases, (dn) => isOfType(c, ctx.accounts, dn));
    if (changes.length === all.length) {
      return { changes: routed, token: sortedCsns[sortedCsns.length - 1] ?? token };
    }
    return { changes: routed, token: changes[changes.length - 1].token };
  });
}

export async function latestToken(ctx: LdapContext): Promise<string> {
  return ctx.connection.withPagedSearch('latest changelog token', async (c) => {
    const entries = await readAccesslog(ctx, c, equality('objectClass', 'auditWriteObject'), ['entryCSN']);
    let max = LDAP_INITIAL_TOKEN;
    for (const e of entries) {
      const csn = entryAttribute(e, 'entryCSN')[0];
      if (csn !== undefined && (max === LDAP_INITIAL_TOKEN || csn > max)) max = csn;
    }
    return max;
  });
}
