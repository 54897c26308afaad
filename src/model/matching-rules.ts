/**
 * Matching rules: when two values of an attribute are the same value (midPoint's matching rules). Each
 * rule normalizes a value; two values match when their normal forms are equal.
 *
 * - `default`, `polyStringOrig`, `polyStringStrict`: exactly equal.
 * - `stringIgnoreCase`: equal ignoring case (`JACK` and `jack`).
 * - `polyStringNorm`: equal ignoring case, accents and repeated or surrounding spaces.
 * - `distinguishedName`: the same DN: attribute types and values ignoring case, spaces around `,` `=` `+`,
 *   the order of a multi-valued RDN's parts.
 * - `uuid`: the same UUID ignoring case and braces.
 */
import type { MatchingRuleName, ObjectTypeDefinition } from '../schema/config';
import { valuesEqual } from './deltas';
import { attributeName, SECONDARY_IDENTIFIER } from './paths';

export type { MatchingRuleName };

/** Splits at separators not escaped with a backslash. */
function splitUnescaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (separators.includes(c)) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function normalizeDn(text: string): string {
  const rdns = splitUnescaped(text.trim(), ',;');
  const normalized: string[] = [];
  for (const rdn of rdns) {
    const avas = splitUnescaped(rdn, '+').map((ava) => {
      const eq = ava.indexOf('=');
      if (eq < 0) return null;
      return `${ava.slice(0, eq).trim().toLowerCase()}=${ava.slice(eq + 1).trim().replace(/\s+/g, ' ').toLowerCase()}`;
    });
    // Not a DN (a plain login name): compared ignoring case and surrounding spaces.
    if (avas.some((a) => a === null)) return text.trim().toLowerCase();
    normalized.push((avas as string[]).sort().join('+'));
  }
  return normalized.join(',');
}

function normalizePolyString(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .trim()
    .replace(/\s+/g, ' ')
    .toLowerCase();
}

const normalizers: Record<MatchingRuleName, ((text: string) => string) | null> = {
  default: null,
  polyStringOrig: null,
  polyStringStrict: null,
  stringIgnoreCase: (t) => t.toLowerCase(),
  polyStringNorm: normalizePolyString,
  distinguishedName: normalizeDn,
  uuid: (t) => t.trim().replace(/^\{(.*)\}$/, '$1').toLowerCase(),
};

/** The value's normal form under the rule (the value itself under an exact rule). */
export function normalizeValue(rule: MatchingRuleName | undefined, value: unknown): unknown {
  const normalize = normalizers[rule ?? 'default'];
  if (!normalize || value === null || typeof value === 'object') return value;
  return normalize(String(value));
}

export function valuesMatch(rule: MatchingRuleName | undefined, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!normalizers[rule ?? 'default']) return valuesEqual(a, b);
  return valuesEqual(normalizeValue(rule, a), normalizeValue(rule, b));
}

export function includesMatching(rule: MatchingRuleName | undefined, list: readonly unknown[], value: unknown): boolean {
  return list.some((item) => valuesMatch(rule, item, value));
}

/** Same values under the rule, regardless of order and duplicates. */
export function sameValuesMatching(rule: MatchingRuleName | undefined, a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.every((v) => includesMatching(rule, b, v)) && b.every((v) => includesMatching(rule, a, v));
}

/**
 * The matching rule of an attribute of the object type (`ri:uid`, `uid` and `UID` are one attribute);
 * `icfs:name` without one is compared as a distinguished name, which also fits a plain login name.
 */
export function matchingRuleOf(objectType: Pick<ObjectTypeDefinition, 'attribute'> | undefined, attribute: string): MatchingRuleName {
  const name = attributeName(attribute).toLowerCase();
  const definition = objectType?.attribute.find((a) => attributeName(a.ref).toLowerCase() === name);
  if (definition?.matchingRule) return definition.matchingRule;
  return name === SECONDARY_IDENTIFIER ? 'distinguishedName' : 'default';
}
