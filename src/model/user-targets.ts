/**
 * Setting a user property from mapping outputs (inbound and template mappings share this):
 * single-valued targets take the value of the strongest applying mapping (its first value);
 * `assignment` and `linkRef` get the produced values added, never removed; multi-valued text properties
 * (`organizationalUnit`) get the strongest applying mappings' values as a whole.
 */
import type { ItemDelta } from '../schema/objects';
import { normalizeAssignment } from './assignment-values';
import { includesValue, uniqueValues } from './deltas';
import { includesMatching, sameValuesMatching, type MatchingRuleName } from './matching-rules';
import { isMultiValuedTextUserProperty } from './user-properties';
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
export function userTargetDelta(
  key: string,
  current: readonly unknown[],
  outputs: readonly MappingOutput[],
  /** How the produced values compare with the current ones (inbound: the attribute's matching rule). */
  matchingRule?: MatchingRuleName,
): ItemDelta | undefined {
  const applying = outputs.filter((o) => o.applies).sort(strongerFirst);
  const retract = outputs.flatMap((o) => o.retract);
  if (isMultiValuedTextUserProperty(key)) return valueSetDelta(key, current, applying, retract, matchingRule);
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
  if (sameValuesMatching(matchingRule, current, desired) && current.length === desired.length) return undefined;
  return { path: key, replace: desired };
}

/**
 * A multi-valued text property (`organizationalUnit`) gets the values of the strongest applying mappings
 * as a whole: values they no longer produce go.
 */
function valueSetDelta(
  key: string,
  current: readonly unknown[],
  applying: readonly MappingOutput[],
  retract: readonly unknown[],
  matchingRule: MatchingRuleName | undefined,
): ItemDelta | undefined {
  const winner = applying[0];
  const desired = winner
    ? uniqueValues(applying.filter((o) => o.strength === winner.strength).flatMap((o) => o.values))
    : current.filter((v) => !includesMatching(matchingRule, retract, v));
  if (winner?.strength === 'weak' && desired.length === 0) return undefined;
  const add = desired.filter((v) => !includesMatching(matchingRule, current, v));
  const del = current.filter((v) => !includesMatching(matchingRule, desired, v));
  if (add.length === 0 && del.length === 0) return undefined;
  return { path: key, ...(add.length > 0 ? { add } : {}), ...(del.length > 0 ? { delete: del } : {}) };
}
