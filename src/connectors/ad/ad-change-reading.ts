/**
 * Live sync on Active Directory from its own change tracking: every write gives the object a higher
 * uSNChanged, and a deleted object stays a while as a tombstone (isDeleted, read with the show-deleted
 * control) keeping its objectGUID, its uSNChanged and its lastKnownParent. The token is a uSNChanged;
 * the latest is the domain controller's highestCommittedUSN. A change that is Tally's own write
 * (ad-own-writes) is passed over.
 */
import { Control, type Client, type Entry } from 'ldapts';
import { ConnectorError } from '../connector-errors';
import type { ChangesPage, ConnectorChange } from '../connector-types';
import type { LdapContext } from '../ldap/ldap-connection';
import { delineationFilter, searchPages } from '../ldap/ldap-delineation';
import { nextWindowWidth } from '../ldap/ldap-changelog';
import { isUnderDn } from '../ldap/ldap-dn';
import { entryAttribute } from '../ldap/ldap-entries';
import type { AdOwnWrites } from './ad-own-writes';
import { domainOf, localUsns, SHOW_DELETED_CONTROL } from './ad-values';

export const AD_INITIAL_TOKEN = '0';
const READ = ['objectGUID', 'uSNChanged', 'uSNCreated', 'lastKnownParent', 'isDeleted'];

interface Tracked {
  usn: number;
  change: Omit<ConnectorChange, 'token'>;
}

function validToken(token: string): number {
  if (!/^\d+$/.test(token)) throw new ConnectorError('configuration', `not an Active Directory changelog token (uSNChanged): ${token}`);
  return Number(token);
}

/** Each connector's last window width, about a page of objects: a backlog is read a window at a time. */
const windowWidths = new WeakMap<LdapContext, number>();

/** The account type's live objects and tombstones whose uSNChanged is in [from, to]; created after `after`: an add. */
async function trackedIn(ctx: LdapContext, c: Client, after: number, from: number, to: number): Promise<Tracked[]> {
  const within = `(uSNChanged>=${from})(uSNChanged<=${to})`;
  const tracked: Tracked[] = [];
  const usn = (e: Entry) => Number(entryAttribute(e, 'uSNChanged')[0] ?? 0);
  const live = { base: ctx.accounts.base, filter: `(&${ctx.accounts.filter}${within})` };
  for await (const page of searchPages(c, live, READ, 500)) {
    for (const e of page.searchEntries) {
      const created = Number(entryAttribute(e, 'uSNCreated')[0] ?? 0) > after;
      tracked.push({ usn: usn(e), change: { changeType: created ? 'add' : 'modify', primaryIdentifier: entryAttribute(e, 'objectGUID')[0], secondaryIdentifier: e.dn } });
    }
  }
  // Tombstones lose most attributes (objectCategory among them): only their object class tells their type.
  const deleted = { base: domainOf(ctx.accounts.base), filter: `(&(isDeleted=TRUE)${delineationFilter(ctx.structuralClass, undefined)}${within})` };
  const showDeleted = new Control(SHOW_DELETED_CONTROL, { critical: true });
  for await (const page of c.searchPaginated(deleted.base, { scope: 'sub', filter: deleted.filter, attributes: READ, paged: { pageSize: 500 } }, showDeleted)) {
    for (const e of page.searchEntries) {
      const parent = entryAttribute(e, 'lastKnownParent')[0];
      if (parent === undefined || !isUnderDn(parent, ctx.accounts.base)) continue;
      tracked.push({ usn: usn(e), change: { changeType: 'delete', primaryIdentifier: entryAttribute(e, 'objectGUID')[0] } });
    }
  }
  return tracked;
}

/**
 * The account type's objects written after `after`, oldest first, a window of USNs at a time until about
 * `limit` are read or the highest committed USN is reached: each window is read whole, so a poll far behind
 * reads about a page, not every object changed since. `through` is the last USN read.
 */
async function trackedSince(ctx: LdapContext, c: Client, after: number, limit: number): Promise<{ tracked: Tracked[]; through: number }> {
  const highest = Number(await highestCommittedUsn(ctx, c));
  const tracked: Tracked[] = [];
  // Each write takes a USN: a first window of `limit` USNs holds at most a page.
  let width = windowWidths.get(ctx) ?? limit;
  let through = after;
  while (through < highest && tracked.length < limit) {
    const to = Math.min(highest, through + width);
    const found = (await trackedIn(ctx, c, after, through + 1, to)).sort((a, b) => a.usn - b.usn);
    tracked.push(...found);
    const start = through;
    width = Math.max(1, Math.round(nextWindowWidth(width, found.length, limit, () => found[limit - 1]!.usn - start)));
    windowWidths.set(ctx, width);
    through = to;
  }
  // Windows are read in order, each sorted: the whole is too.
  return { tracked, through };
}

/**
 * Whether the tracked change is Tally's own: its last write Tally's, and (but for a delete) every
 * attribute written after `after` written by Tally.
 */
async function isOwnChange(c: Client, ownWrites: AdOwnWrites, t: Tracked, after: number): Promise<boolean> {
  const { primaryIdentifier: guid, secondaryIdentifier: dn, changeType } = t.change;
  if (guid === undefined || !ownWrites.wroteLast(guid, t.usn)) return false;
  if (changeType === 'delete' || dn === undefined) return true;
  const [entry] = (await c.search(dn, { scope: 'base', attributes: ['replPropertyMetaData'], explicitBufferAttributes: ['replPropertyMetaData'] })).searchEntries;
  const blob = [entry?.replPropertyMetaData ?? []].flat()[0];
  if (!Buffer.isBuffer(blob)) return false;
  return ownWrites.wroteAll(guid, localUsns(blob).filter((usn) => usn > after));
}

export async function changesSince(ctx: LdapContext, ownWrites: AdOwnWrites | undefined, token: string, limit?: number): Promise<ChangesPage> {
  const after = validToken(token);
  const max = limit ?? ctx.config.pageSize;
  return ctx.connection.withPagedSearch(`changes since ${token}`, async (c) => {
    const { tracked, through } = await trackedSince(ctx, c, after, max);
    const page = tracked.slice(0, max);
    const theirs: Tracked[] = [];
    for (const t of page) if (!ownWrites || !(await isOwnChange(c, ownWrites, t, after))) theirs.push(t);
    return {
      changes: theirs.map((t) => ({ ...t.change, token: String(t.usn) })),
      // The position passes Tally's own writes too, so they are not read again; a page read whole passes
      // every USN read (writes to other objects).
      token: page.length < tracked.length ? String(page[page.length - 1].usn) : through > after ? String(through) : token,
    };
  });
}

/** The domain controller's highest committed USN: what any later write's uSNChanged exceeds. */
export async function latestToken(ctx: LdapContext): Promise<string> {
  return ctx.connection.withClient('latest changelog token', (c) => highestCommittedUsn(ctx, c));
}

async function highestCommittedUsn(ctx: LdapContext, c: Client): Promise<string> {
  const [rootDse] = (await c.search('', { scope: 'base', attributes: ['highestCommittedUSN'] })).searchEntries;
  const usn = rootDse === undefined ? undefined : entryAttribute(rootDse, 'highestCommittedUSN')[0];
  if (usn === undefined || !/^\d+$/.test(usn)) throw new ConnectorError('configuration', `${ctx.config.url} gives no highestCommittedUSN in its rootDSE: is it an Active Directory domain controller?`);
  return usn;
}
