/**
 * Associations on LDAP, objectToSubject: an account's membership in a group is a value of the
 * group's `member` (the association attribute) equal to the account's DN (or another value
 * attribute, such as `uid` for posixGroup's memberUid). Reads find the groups whose member holds the
 * account's value; writes add or remove that one value (never a replace), so concurrent changes of
 * other members are not lost and a repeated write is a no-op.
 */
import { Attribute, Change, EqualityFilter, type Client, type Entry } from 'ldapts';
import { ConnectorError } from '../connector-errors';
import type { AttributeDelta } from '../../schema/objects';
import { searchPages, typeFilter, type LdapDelineation } from './ldap-delineation';
import { entryAttribute, entryValues, toLdapStrings } from './ldap-entries';

/** `base` and `filter`: the delineation of the entitlement type (where the groups live and which entries they are). */
export interface LdapAssociation extends LdapDelineation {
  /** The pseudo-attribute it is carried in (`association/group`). */
  attribute: string;
  /** The group's attribute listing members (`member`). */
  memberAttribute: string;
  /** `dn`, or an attribute of the account. */
  valueAttribute: string;
  placeholder?: string;
  /** Member values follow the account's renames, and go with its deletion. */
  referentialIntegrity: boolean;
}

const LDAP_NO_SUCH_ATTRIBUTE = 16;
const LDAP_TYPE_OR_VALUE_EXISTS = 20;
const LDAP_NO_SUCH_OBJECT = 32;
const LDAP_OBJECT_CLASS_VIOLATION = 65;

const codeOf = (e: unknown): number | undefined => (e as { code?: number }).code;

export const isDnValue = (a: LdapAssociation) => ['dn', 'entrydn', 'icfs:name', 'ri:dn'].includes(a.valueAttribute.toLowerCase());

/** The account's value in its groups' member attribute; undefined when the entry lacks it. */
export function subjectValue(a: LdapAssociation, entry: Entry): string | undefined {
  return isDnValue(a) ? entry.dn : entryAttribute(entry, a.valueAttribute.replace(/^ri:/, ''))[0];
}

/** How member values compare: DNs ignoring case and spaces after commas, other values as they are. */
function memberKey(a: LdapAssociation, value: string): string {
  return isDnValue(a) ? value.replace(/,\s+/g, ',').toLowerCase() : value;
}

/** The attributes of an account entry the associations need read. */
export function valueAttributesToRead(associations: readonly LdapAssociation[]): string[] {
  return associations.filter((a) => !isDnValue(a)).map((a) => a.valueAttribute.replace(/^ri:/, ''));
}

/** DNs of the groups whose member attribute holds `value`. */
export async function groupsWithMember(c: Client, a: LdapAssociation, value: string): Promise<string[]> {
  const { searchEntries } = await c.search(a.base, { scope: 'sub', filter: typeFilter(a, new EqualityFilter({ attribute: a.memberAttribute, value })), attributes: ['1.1'] });
  return searchEntries.map((e) => e.dn);
}

/** Every group's members, as member value -> group DNs (one search for a page of accounts). */
export async function membershipIndex(c: Client, a: LdapAssociation): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  for await (const page of searchPages(c, a, [a.memberAttribute], 500)) {
    for (const group of page.searchEntries) {
      for (const member of entryValues(group[a.memberAttribute] ?? entryAttribute(group, a.memberAttribute))) {
        const key = memberKey(a, member);
        index.set(key, [...(index.get(key) ?? []), group.dn]);
      }
    }
  }
  return index;
}

export function membershipsFromIndex(a: LdapAssociation, index: ReadonlyMap<string, string[]>, value: string | undefined): string[] {
  return value === undefined ? [] : (index.get(memberKey(a, value)) ?? []);
}

const change = (operation: 'add' | 'delete', type: string, values: string[]) => new Change({ operation, modification: new Attribute({ type, values }) });

async function addMembership(c: Client, a: LdapAssociation, group: string, value: string): Promise<void> {
  try {
    await c.modify(group, [change('add', a.memberAttribute, [value])]);
  } catch (e) {
    if (codeOf(e) === LDAP_NO_SUCH_OBJECT) throw new ConnectorError('schema-violation', `add ${value} to ${group}: the group does not exist`, LDAP_NO_SUCH_OBJECT);
    if (codeOf(e) !== LDAP_TYPE_OR_VALUE_EXISTS) throw e;
  }
  if (a.placeholder !== undefined && a.placeholder !== value) {
    await c.modify(group, [change('delete', a.memberAttribute, [a.placeholder])]).catch((e: unknown) => {
      if (codeOf(e) !== LDAP_NO_SUCH_ATTRIBUTE && codeOf(e) !== LDAP_OBJECT_CLASS_VIOLATION) throw e;
    });
  }
}

async function removeMembership(c: Client, a: LdapAssociation, group: string, value: string): Promise<void> {
  try {
    await c.modify(group, [change('delete', a.memberAttribute, [value])]);
  } catch (e) {
    const code = codeOf(e);
    if (code === LDAP_NO_SUCH_ATTRIBUTE || code === LDAP_NO_SUCH_OBJECT) return;
    if (code !== LDAP_OBJECT_CLASS_VIOLATION) throw e;
    // The last member: groupOfNames needs one, so the placeholder takes its place in the same modify.
    if (a.placeholder === undefined) {
      throw new ConnectorError(
        'schema-violation',
        `remove ${value} from ${group}: it is the group's last ${a.memberAttribute} and the group needs one (set placeholderValue on the association)`,
        LDAP_OBJECT_CLASS_VIOLATION,
      );
    }
    await c.modify(group, [change('add', a.memberAttribute, [a.placeholder]), change('delete', a.memberAttribute, [value])]);
  }
}

/** Applies the association's deltas (entitlement names) for the account whose member value is `value`. */
export async function applyMembershipDeltas(c: Client, a: LdapAssociation, value: string, deltas: readonly AttributeDelta[]): Promise<void> {
  const current = new Set(await groupsWithMember(c, a, value));
  for (const delta of deltas) {
    const add = toLdapStrings(delta.add ?? []);
    const remove = toLdapStrings(delta.delete ?? []);
    if (delta.replace !== undefined) {
      const wanted = toLdapStrings(delta.replace);
      const wantedKeys = new Set(wanted.map((g) => g.replace(/,\s+/g, ',').toLowerCase()));
      add.push(...wanted);
      remove.push(...[...current].filter((g) => !wantedKeys.has(g.replace(/,\s+/g, ',').toLowerCase())));
    }
    for (const group of add) await addMembership(c, a, group, value);
    for (const group of remove) await removeMembership(c, a, group, value);
  }
}

/** After a rename: the groups listing the old value list the new one instead. */
export async function renameMember(c: Client, a: LdapAssociation, oldValue: string, newValue: string): Promise<void> {
  for (const group of await groupsWithMember(c, a, oldValue)) {
    try {
      await c.modify(group, [change('add', a.memberAttribute, [newValue]), change('delete', a.memberAttribute, [oldValue])]);
    } catch (e) {
      if (codeOf(e) !== LDAP_TYPE_OR_VALUE_EXISTS) throw e;
      await removeMembership(c, a, group, oldValue);
    }
  }
}

/** Before a delete: the account leaves every group. */
export async function removeAllMemberships(c: Client, a: LdapAssociation, value: string): Promise<void> {
  for (const group of await groupsWithMember(c, a, value)) await removeMembership(c, a, group, value);
}

/** The association carried in this attribute, if it is one. */
export function isAssociationOf(associations: readonly LdapAssociation[], name: string): LdapAssociation | undefined {
  const lower = name.toLowerCase();
  return associations.find((a) => a.attribute.toLowerCase() === lower);
}
