/**
 * Turns OpenLDAP accesslog records (`auditWriteObject`) into connector changes. Pure: the connector
 * reads the records, this decides what they mean.
 */
import type { ConnectorChange } from '../connector-types';
import type { AttributeDelta } from '../../schema/objects';
import { isWithin, type LdapDelineation } from './ldap-delineation';
import { isUnderDn, isWellFormedDnUnder, normalizeDn, parentDn, parseRdn, sameDn, splitDn } from './ldap-dn';
import { OPERATIONAL_ATTRIBUTES, SECRET_ATTRIBUTES, type AccesslogRecord } from './ldap-types';

/** CSNs compare as strings: `YYYYmmddHHMMSS.uuuuuuZ#count#sid#mod`. */
export const CSN_PATTERN = /^\d{14}(\.\d{1,6})?Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}$/;

const CSN_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6}))?Z/;
/** The latest time a CSN can say (year 9999): no window reaches past it. */
const LAST_CSN_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The time a CSN was made, in milliseconds since 1970 (its microseconds cut to milliseconds). */
export function csnTime(csn: string): number {
  const m = CSN_TIME.exec(csn);
  if (!m) throw new Error(`not a CSN: ${csn}`);
  const [year, month, day, hours, minutes, seconds] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hours, minutes, seconds) + Math.floor(Number((m[7] ?? '').padEnd(6, '0')) / 1000);
}

/** The smallest CSN of a millisecond: a bound of a window of the changelog. */
export function csnAt(ms: number): string {
  const d = new Date(Math.min(Math.max(ms, 0), LAST_CSN_TIME));
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`;
  return `${time}.${String(d.getUTCMilliseconds()).padStart(3, '0')}000Z#000000#000#000000`;
}

/**
 * The next window's width when reading a changelog a window at a time: the width that held `limit` entries
 * (`holdingPage`, asked only when this window held more), else as this window's density says, at most
 * twice as wide.
 */
export function nextWindowWidth(width: number, found: number, limit: number, holdingPage: () => number): number {
  if (found > limit) return holdingPage();
  return Math.min(width * 2, found === 0 ? Infinity : (width * limit) / found);
}

export interface ChangelogMapping {
  baseContext: string;
  /** Bind DNs whose changes are left out (Tally's own writes), compared without regard to case and spaces. */
  ignoreModifiers?: readonly string[];
  /** Whether reqEntryUUID is the connector's primary identifier (it is unless configured otherwise). */
  entryUuidIsPrimary: boolean;
  /** Groups whose member attribute holds accounts' DNs: a change of their members is a change of those accounts. */
  entitlements?: readonly ChangelogEntitlement[];
}

export interface ChangelogEntitlement {
  /** Where the groups live (the entitlement type's base context). */
  baseContext: string;
  /** The group's attribute listing members by DN (`member`). */
  memberAttribute: string;
  /** The association's pseudo-attribute on the account (`association/group`). */
  association: string;
}

/**
 * Records under the base context, oldest first, as changes; a group's record, as changes of the accounts
 * it adds or removes as members (see membershipChanges). Records of other types are dropped.
 */
export function recordsToChanges(records: readonly AccesslogRecord[], m: ChangelogMapping): ConnectorChange[] {
  return [...records]
    .sort((a, b) => (a.entryCSN < b.entryCSN ? -1 : a.entryCSN > b.entryCSN ? 1 : 0))
    .filter((r) => !ignored(r.reqAuthzID, m.ignoreModifiers))
    .flatMap((r) => {
      const underBase = isUnderDn(r.reqDN, m.baseContext) || (r.reqType === 'modrdn' && isUnderDn(newDnOf(r), m.baseContext));
      const change = underBase ? recordToChange(r, m) : undefined;
      return [...(change ? [change] : []), ...membershipChanges(r, m)];
    });
}

/**
 * A group's add or modify that adds or deletes member values: one `modify` change per value that is an
 * account's DN (under the base context), named by that DN, with the membership as its association delta.
 * The group's entryUUID is not the account's, so these changes carry no primary identifier. A replace
 * of the whole member list yields its values as added: the members it removed are not in the record
 * (reconciliation finds them), nor are a group's renames and deletions.
 */
function membershipChanges(r: AccesslogRecord, m: ChangelogMapping): ConnectorChange[] {
  if (r.reqType !== 'add' && r.reqType !== 'modify') return [];
  const changes: ConnectorChange[] = [];
  for (const e of m.entitlements ?? []) {
    if (!isUnderDn(r.reqDN, e.baseContext)) continue;
    for (const delta of parseReqMod(r.reqMod).filter((d) => d.path.toLowerCase() === e.memberAttribute.toLowerCase())) {
      const members = [
        ...[...(delta.add ?? []), ...(delta.replace ?? [])].map((dn) => ({ dn: String(dn), add: true })),
        ...(delta.delete ?? []).map((dn) => ({ dn: String(dn), add: false })),
      ];
      for (const member of members.filter((x) => isAccountDn(x.dn, m.baseContext))) {
        changes.push({
          changeType: 'modify',
          secondaryIdentifier: member.dn,
          attributeDeltas: [{ path: e.association, ...(member.add ? { add: [r.reqDN] } : { delete: [r.reqDN] }) }],
          token: r.entryCSN,
        });
      }
    }
  }
  return changes;
}

/**
 * The changes that are the type's: a change named by an entry within one of `shared` (other types whose
 * base is also the type's, e.g. groups under the directory suffix) is kept only when `isOfType` says its
 * entry is of the type. A group's own change so goes (its member changes are the accounts', see
 * membershipChanges); a change of an entry that is gone (undefined) stays: reading it finds nothing.
 * Each entry is asked once, up to ENTRIES_ASKED_TOGETHER at a time.
 */
export async function routeToType(
  changes: readonly ConnectorChange[],
  shared: readonly LdapDelineation[],
  isOfType: (dn: string) => Promise<boolean | undefined>,
): Promise<ConnectorChange[]> {
  if (shared.length === 0) return [...changes];
  const nameOf = (change: ConnectorChange) => change.newSecondaryIdentifier ?? change.secondaryIdentifier;
  const inQuestion = new Map<string, string>();
  for (const dn of changes.map(nameOf)) if (dn !== undefined && shared.some((d) => isWithin(d, dn))) inQuestion.set(normalizeDn(dn), dn);
  const verdicts = new Map<string, boolean | undefined>();
  const keys = [...inQuestion.keys()];
  for (let i = 0; i < keys.length; i += ENTRIES_ASKED_TOGETHER) {
    await Promise.all(keys.slice(i, i + ENTRIES_ASKED_TOGETHER).map(async (key) => verdicts.set(key, await isOfType(inQuestion.get(key)!))));
  }
  return changes.filter((change) => {
    const dn = nameOf(change);
    return dn === undefined || verdicts.get(normalizeDn(dn)) !== false;
  });
}

/** Reads of entries whose type a page's changes need, sent together on the connection. */
const ENTRIES_ASKED_TOGETHER = 16;

const isAccountDn = (dn: string, baseContext: string) => isWellFormedDnUnder(dn, baseContext) && !sameDn(dn, baseContext);

/**
 * The first `max` changes, and the rest of the record the last of them came from: changes of one
 * record (a group's members) share its CSN, the position a page ends at, so a page never ends inside a
 * record (what came after the position would be left unread). A page may so exceed `max` by a group's
 * members.
 */
export function pageOfChanges(changes: readonly ConnectorChange[], max: number): ConnectorChange[] {
  let end = Math.max(1, Math.min(max, changes.length));
  while (end < changes.length && changes[end].token === changes[end - 1].token) end++;
  return changes.slice(0, end);
}

const normalizedDn = (dn: string) => dn.replace(/^dn:/i, '').replace(/\s*([,=])\s*/g, '$1').trim().toLowerCase();

function ignored(authzId: string | undefined, modifiers: readonly string[] | undefined): boolean {
  if (!authzId || !modifiers?.length) return false;
  const who = normalizedDn(authzId);
  return modifiers.some((m) => normalizedDn(m) === who);
}

function recordToChange(r: AccesslogRecord, m: ChangelogMapping): ConnectorChange | undefined {
  const ids = {
    primaryIdentifier: m.entryUuidIsPrimary ? r.reqEntryUUID : undefined,
    secondaryIdentifier: r.reqDN,
    token: r.entryCSN,
  };
  switch (r.reqType) {
    case 'add':
      return { changeType: 'add', ...ids, attributeDeltas: parseReqMod(r.reqMod) };
    case 'modify':
      return { changeType: 'modify', ...ids, attributeDeltas: parseReqMod(r.reqMod) };
    case 'delete':
      return { changeType: 'delete', ...ids };
    case 'modrdn':
      return { changeType: 'modify', ...ids, newSecondaryIdentifier: newDnOf(r), attributeDeltas: rdnDeltas(r) };
    default:
      return undefined;
  }
}

const REQ_MOD = /^([^:]+):([+=\-#])(?: ([\s\S]*))?$/;

/**
 * `attr:+ v` add, `attr:- v` delete a value, `attr:-` delete all, `attr:= v` replace (one line per value),
 * `attr:=` replace with nothing. Consecutive lines of one attribute and operation form one delta.
 * Operational attributes and secrets (userPassword) are dropped: their values never leave the connector.
 */
export function parseReqMod(lines: readonly string[]): AttributeDelta[] {
  const deltas: AttributeDelta[] = [];
  let last: { attr: string; op: string; delta: AttributeDelta } | undefined;
  for (const line of lines) {
    const match = REQ_MOD.exec(line);
    if (!match) continue;
    const [, attr, op, value] = match;
    const lower = attr.toLowerCase();
    if (OPERATIONAL_ATTRIBUTES.has(lower) || SECRET_ATTRIBUTES.has(lower.split(';')[0])) continue;
    if (op === '#') continue; // increment: only used on operational counters
    if (!last || last.attr !== lower || last.op !== op) {
      const delta: AttributeDelta = { path: attr };
      last = { attr: lower, op, delta };
      deltas.push(delta);
    }
    const d = last.delta;
    if (op === '+') d.add = [...(d.add ?? []), value ?? ''];
    else if (op === '=') d.replace = value === undefined ? (d.replace ?? []) : [...(d.replace ?? []), value];
    else if (value === undefined) d.replace = [];
    else d.delete = [...(d.delete ?? []), value];
  }
  return deltas;
}

export function newDnOf(r: AccesslogRecord): string {
  if (r.reqNewDN) return r.reqNewDN;
  const rdn = r.reqNewRDN ?? splitDn(r.reqDN)[0];
  const parent = r.reqNewSuperior ?? parentDn(r.reqDN);
  return parent ? `${rdn},${parent}` : rdn;
}

/** A rename changes the naming attribute: the new RDN value is added, the old one removed if deleteOldRDN. */
function rdnDeltas(r: AccesslogRecord): AttributeDelta[] {
  const oldRdn = parseRdn(splitDn(r.reqDN)[0]);
  const newRdn = parseRdn(splitDn(newDnOf(r))[0]);
  if (oldRdn.attribute.toLowerCase() === newRdn.attribute.toLowerCase() && oldRdn.value === newRdn.value) return [];
  const deleteOld = (r.reqDeleteOldRDN ?? 'TRUE').toUpperCase() === 'TRUE';
  if (oldRdn.attribute.toLowerCase() === newRdn.attribute.toLowerCase()) {
    return [{ path: newRdn.attribute, add: [newRdn.value], ...(deleteOld ? { delete: [oldRdn.value] } : {}) }];
  }
  const deltas: AttributeDelta[] = [{ path: newRdn.attribute, add: [newRdn.value] }];
  if (deleteOld) deltas.push({ path: oldRdn.attribute, delete: [oldRdn.value] });
  return deltas;
}

