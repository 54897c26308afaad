/**
 * Turns OpenLDAP accesslog records (`auditWriteObject`) into connector changes. Pure: the connector
 * reads the records, this decides what they mean.
 */
import type { ConnectorChange } from '../connector-types';
import type { AttributeDelta } from '../../schema/objects';
import { isUnderDn, parentDn, parseRdn, splitDn } from './ldap-dn';
import { OPERATIONAL_ATTRIBUTES, SECRET_ATTRIBUTES, type AccesslogRecord } from './ldap-types';

/** CSNs compare as strings: `YYYYmmddHHMMSS.uuuuuuZ#count#sid#mod`. */
export const CSN_PATTERN = /^\d{14}(\.\d{1,6})?Z#[0-9a-f]{6}#[0-9a-f]{3}#[0-9a-f]{6}$/;

export interface ChangelogMapping {
  baseContext: string;
  /** Bind DNs whose changes are left out (Tally's own writes), compared without regard to case and spaces. */
  ignoreModifiers?: readonly string[];
  /** Whether reqEntryUUID is the connector's primary identifier (it is unless configured otherwise). */
  entryUuidIsPrimary: boolean;
}

/** Records under the base context, oldest first, as changes. Records of other types are dropped. */
export function recordsToChanges(records: readonly AccesslogRecord[], m: ChangelogMapping): ConnectorChange[] {
  return [...records]
    .sort((a, b) => (a.entryCSN < b.entryCSN ? -1 : a.entryCSN > b.entryCSN ? 1 : 0))
    .filter((r) => isUnderDn(r.reqDN, m.baseContext) || (r.reqType === 'modrdn' && isUnderDn(newDnOf(r), m.baseContext)))
    .filter((r) => !ignored(r.reqAuthzID, m.ignoreModifiers))
    .flatMap((r) => {
      const change = recordToChange(r, m);
      return change ? [change] : [];
    });
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

