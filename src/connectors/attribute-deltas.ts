/** Attribute deltas applied to the values a connector read, for resources that store whole values (rows). */
import type { AttributeDelta, AttributeValue } from '../schema/objects';

/** `replace` first, then `add` (values not yet there), then `delete`; values compared as text. */
export function applyDelta(values: readonly AttributeValue[], delta: AttributeDelta): AttributeValue[] {
  let out = delta.replace !== undefined ? [...delta.replace] : [...values];
  for (const v of delta.add ?? []) if (!out.some((x) => String(x) === String(v))) out.push(v);
  const removed = new Set((delta.delete ?? []).map(String));
  if (removed.size > 0) out = out.filter((x) => !removed.has(String(x)));
  return out;
}
