/**
 * Plans an LDAP modification from attribute deltas against the entry as read: which rename (modifyDN)
 * and which per-attribute changes. Changes are computed as differences from the current values, so a
 * retried modify is a no-op instead of an "attributeOrValueExists" error.
 */
import { ConnectorError } from '../connector-errors';
import type { AttributeDelta } from '../../schema/objects';
import { parseRdn, renamedDn, sameDn, splitDn } from './ldap-dn';
import { toLdapString, toLdapStrings } from './ldap-entries';
import { NAME_PATH } from './ldap-types';

export interface PlannedChange {
  operation: 'add' | 'delete' | 'replace';
  attribute: string;
  values: string[];
}

export interface ModifyPlan {
  /** Set when the entry must be renamed first. */
  newDn?: string;
  changes: PlannedChange[];
}

/** Current values by lower-cased attribute name. */
export type CurrentValues = Map<string, string[]>;

export function applyDelta(values: readonly string[], delta: AttributeDelta): string[] {
  let out = delta.replace !== undefined ? toLdapStrings(delta.replace) : [...values];
  for (const v of toLdapStrings(delta.add ?? [])) if (!out.includes(v)) out.push(v);
  const removed = new Set(toLdapStrings(delta.delete ?? []));
  if (removed.size > 0) out = out.filter((v) => !removed.has(v));
  return out;
}

export function planModify(dn: string, current: CurrentValues, deltas: readonly AttributeDelta[]): ModifyPlan {
  const nameDeltas = deltas.filter((d) => d.path === NAME_PATH);
  const attributeDeltas = deltas.filter((d) => d.path !== NAME_PATH);

  const touched = new Map<string, { name: string; deltas: AttributeDelta[] }>();
  for (const d of attributeDeltas) {
    const key = d.path.toLowerCase();
    const t = touched.get(key) ?? { name: d.path, deltas: [] };
    t.deltas.push(d);
    touched.set(key, t);
  }
  const finalValues = (key: string, base: readonly string[]) =>
    (touched.get(key)?.deltas ?? []).reduce<string[]>((vals, d) => applyDelta(vals, d), [...base]);

  const oldRdn = parseRdn(splitDn(dn)[0]);
  const oldKey = oldRdn.attribute.toLowerCase();
  let newDn: string | undefined;
  if (nameDeltas.length > 0) {
    const last = nameDeltas[nameDeltas.length - 1];
    if (last.replace?.length !== 1) {
      throw new ConnectorError('schema-violation', `${NAME_PATH} takes exactly one value (the new DN)`);
    }
    newDn = toLdapString(last.replace[0]);
  } else if (touched.has(oldKey)) {
    const values = finalValues(oldKey, current.get(oldKey) ?? [oldRdn.value]);
    if (!values.some((v) => v.toLowerCase() === oldRdn.value.toLowerCase())) {
      if (values.length === 0) {
        throw new ConnectorError('schema-violation', `cannot remove naming attribute ${oldRdn.attribute} of ${dn}`);
      }
      newDn = renamedDn(dn, oldRdn.attribute, values[0]);
    }
  }
  if (newDn !== undefined && sameDn(newDn, dn)) newDn = undefined;

  // What the entry holds after the rename (deleteOldRdn): the old naming value gone, the new one present.
  const base = new Map(current);
  let newRdn: { attribute: string; value: string } | undefined;
  if (newDn !== undefined) {
    newRdn = parseRdn(splitDn(newDn)[0]);
    base.set(oldKey, (base.get(oldKey) ?? []).filter((v) => v.toLowerCase() !== oldRdn.value.toLowerCase()));
    const newKey = newRdn.attribute.toLowerCase();
    const vals = base.get(newKey) ?? [];
    if (!vals.some((v) => v.toLowerCase() === newRdn!.value.toLowerCase())) base.set(newKey, [...vals, newRdn.value]);
  }

  const changes: PlannedChange[] = [];
  for (const [key, { name, deltas: ds }] of touched) {
    const before = base.get(key) ?? [];
    let after = finalValues(key, before);
    if (newRdn && key === newRdn.attribute.toLowerCase() && !after.some((v) => v.toLowerCase() === newRdn!.value.toLowerCase())) {
      after = [...after, newRdn.value];
    }
    const added = after.filter((v) => !before.includes(v));
    const removed = before.filter((v) => !after.includes(v));
    if (added.length === 0 && removed.length === 0) continue;
    if (ds.some((d) => d.replace !== undefined) || (removed.length > 0 && after.length === 0)) {
      changes.push({ operation: 'replace', attribute: name, values: after });
    } else {
      if (removed.length > 0) changes.push({ operation: 'delete', attribute: name, values: removed });
      if (added.length > 0) changes.push({ operation: 'add', attribute: name, values: added });
    }
  }
  return { newDn, changes };
}
