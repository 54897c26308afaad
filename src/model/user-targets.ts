/**
 * Setting a user property from mapping outputs (inbound and template mappings share this):
 * single-valued targets take the value of the strongest applying mapping (its first value);
 * multi-valued targets (`assignment`, `linkRef`) get the produced values added, never removed.
 */
import type { ItemDelta } from '../schema/objects';
import { normalizeAssignment } from './assignment-values';
import { includesValue, sameValueSet, uniqueValues } from './deltas';
import type { ExpressionContext } from './expressions';
import type { MappingOutput } from './mappings';
import { isMultiValuedUserPath } from './paths';
import { strongerFirst } from './mappings';

export function targetValuesFor(key: string, values: unknown[], context: ExpressionContext): unknown[] {
  return key === 'assignment' ? values.map((v) => normalizeAssignment(v, context)) : values;
}

/**
 * The delta for one user target from the outputs of the mappings targeting it, or undefined when
 * nothing changes. `outputs` values must already be target values (see targetValuesFor).
 */
export function userTargetDelta(key: string, current: readonly unknown[], outputs: readonly MappingOutput[]): ItemDelta | undefined {
  const applying = outputs.filter((o) => o.applies).sort(strongerFirst);
  const retract = outputs.flatMap((o) => o.retract);
  if (isMultiValuedUserPath(key)) {
    const add = uniqueValues(applying.flatMap((o) => o.values).filter((v) => !includesValue(current, v)));
    const del = uniqueValues(retract.filter((v) => includesValue(current, v) && !includesValue(add, v)));
    if (add.length === 0 && del.length === 0) return undefined;
    return { path: key, ...(add.length > 0 ? { add } : {}), ...(del.length > 0 ? { delete: del } : {}) };
  }
  const winner = applying[0];
  if (winner === undefined) {
    if (retract.length > 0 && current.length > 0 && current.every((v) => includesValue(retract, v))) return { path: key, replace: [] };
    return undefined;
  }
  // A weak mapping that produced nothing leaves the target alone; normal and strong clear it.
  if (winner.values.length === 0 && winner.strength === 'weak') return undefined;
  const desired = winner.values.slice(0, 1);
  if (sameValueSet(current, desired) && current.length === desired.length) return undefined;
  return { path: key, replace: desired };
}
