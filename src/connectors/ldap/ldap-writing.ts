/** Writing LDAP accounts: create, modify (with rename and group membership) and delete. */
import { Attribute, Change, type Entry } from 'ldapts';
import type { AttributeDelta, Attributes, ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import { applyMembershipDeltas, isAssociationOf, removeAllMemberships, renameMember, subjectValue, valueAttributesToRead } from './ldap-associations';
import type { LdapContext } from './ldap-connection';
import { parseRdn, splitDn } from './ldap-dn';
import { entryValues, toLdapStrings } from './ldap-entries';
import { planModify, type CurrentValues } from './ldap-modify';
import { hashPasswordAttributes, hashPasswordDeltas } from './ldap-passwords';
import { findByPrimary, readAttributes, readWritten, toObjectWithAssociations } from './ldap-reading';
import { OPERATIONAL_ATTRIBUTES } from './ldap-types';

function currentValues(entry: Entry): CurrentValues {
  const map: CurrentValues = new Map();
  for (const key of Object.keys(entry)) if (key !== 'dn') map.set(key.toLowerCase(), entryValues(entry[key]));
  return map;
}

/** The entry to add: the configured object classes when none are given, and the naming value among its values. */
function entryAttributes(ctx: LdapContext, dn: string, attributes: Attributes): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(attributes)) {
    const lower = name.toLowerCase();
    if (lower === ctx.config.primaryIdentifier.toLowerCase() || OPERATIONAL_ATTRIBUTES.has(lower)) continue;
    if (values.length > 0) out[name] = toLdapStrings(values);
  }
  if (!Object.keys(out).some((k) => k.toLowerCase() === 'objectclass')) out.objectClass = [...ctx.config.objectClasses];
  // The naming value must be among the entry's values; add it rather than fail with a naming violation.
  const rdn = parseRdn(splitDn(dn)[0]);
  const key = Object.keys(out).find((k) => k.toLowerCase() === rdn.attribute.toLowerCase());
  if (key === undefined) out[rdn.attribute] = [rdn.value];
  else if (!out[key].some((v) => v.toLowerCase() === rdn.value.toLowerCase())) out[key] = [rdn.value, ...out[key]];
  return out;
}

export async function createEntry(ctx: LdapContext, dn: string, attributes: Attributes): Promise<ResourceObject> {
  const { associations, connection } = ctx;
  const own = Object.fromEntries(Object.entries(attributes).filter(([name]) => !isAssociationOf(associations, name)));
  const record = entryAttributes(ctx, dn, hashPasswordAttributes(own));
  return connection.withClient(`create ${dn}`, async (c) => {
    try {
      await c.add(dn, record);
    } catch (e) {
      const mapped = connection.fail(e, `create ${dn}`);
      // noSuchObject on add means the parent container is missing, not the object.
      if (mapped.kind === 'not-found') throw new ConnectorError('configuration', `create ${dn}: parent entry does not exist`, 32);
      throw mapped;
    }
    const created = await readWritten(ctx, c, dn);
    for (const a of associations) {
      const groups = Object.entries(attributes).find(([name]) => isAssociationOf([a], name))?.[1] ?? [];
      const value = subjectValue(a, created);
      if (groups.length > 0 && value !== undefined) await applyMembershipDeltas(c, a, value, [{ path: a.attribute, add: groups }]);
    }
    return toObjectWithAssociations(ctx, c, created);
  });
}

export async function modifyEntry(ctx: LdapContext, primaryIdentifier: string, deltas: AttributeDelta[]): Promise<ResourceObject> {
  const { associations } = ctx;
  return ctx.connection.withClient(`modify ${primaryIdentifier}`, async (c) => {
    const entry = await findByPrimary(ctx, c, primaryIdentifier, readAttributes(ctx));
    const membershipDeltas = deltas.filter((d) => isAssociationOf(associations, d.path));
    const plan = planModify(entry.dn, currentValues(entry), hashPasswordDeltas(deltas.filter((d) => !isAssociationOf(associations, d.path))));
    let dn = entry.dn;
    if (plan.newDn !== undefined) {
      await c.modifyDN(dn, plan.newDn);
      dn = plan.newDn;
    }
    if (plan.changes.length > 0) {
      await c.modify(
        dn,
        plan.changes.map((ch) => new Change({ operation: ch.operation, modification: new Attribute({ type: ch.attribute, values: ch.values }) })),
      );
    }
    const after = await readWritten(ctx, c, dn);
    for (const a of associations) {
      const before = subjectValue(a, entry);
      const now = subjectValue(a, after);
      // Without the refint overlay the groups still list the old DN: Tally moves the memberships.
      if (a.referentialIntegrity && before !== undefined && now !== undefined && before !== now) await renameMember(c, a, before, now);
      const own = membershipDeltas.filter((d) => isAssociationOf([a], d.path));
      if (own.length > 0 && now !== undefined) await applyMembershipDeltas(c, a, now, own);
    }
    return toObjectWithAssociations(ctx, c, after);
  });
}

export async function deleteEntry(ctx: LdapContext, primaryIdentifier: string): Promise<void> {
  await ctx.connection.withClient(`delete ${primaryIdentifier}`, async (c) => {
    const cleaned = ctx.associations.filter((a) => a.referentialIntegrity);
    const entry = await findByPrimary(ctx, c, primaryIdentifier, cleaned.length > 0 ? ['1.1', ...valueAttributesToRead(cleaned)] : ['1.1']);
    // The groups first: a retried delete after a crash in between finds the entry and cleans again.
    for (const a of cleaned) {
      const value = subjectValue(a, entry);
      if (value !== undefined) await removeAllMemberships(c, a, value);
    }
    await c.del(entry.dn);
  });
}
