/**
 * Protected accounts (midPoint's `protected`): resource objects Tally never correlates, modifies or
 * deletes, such as a directory's administrator entry. An object is protected when its name or one of its
 * attribute values matches an entry of its object type's `protected` list, under the attribute's matching rule.
 */
import type { MatchingRuleName, ObjectTypeDefinition, ProtectionFilter } from '../schema/config';
import type { Attributes } from '../schema/objects';
import { includesMatching, matchingRuleOf, normalizeValue, valuesMatch } from './matching-rules';
import { getAttributeValues, parsePath, SECONDARY_IDENTIFIER } from './paths';

export interface ProtectionCandidate {
  secondaryIdentifier: string | null | undefined;
  primaryIdentifier?: string | null;
  attributes?: Attributes;
}

/** The protected entry the object matches (`name uid=admin,...`, `uid = admin`, `icfs:name under ou=services,...`), or null. */
export function protectionOf(objectType: Pick<ObjectTypeDefinition, 'attribute' | 'protected'> | undefined, object: ProtectionCandidate): string | null {
  for (const entry of objectType?.protected ?? []) {
    if (entry.name !== undefined) {
      if (object.secondaryIdentifier && valuesMatch(matchingRuleOf(objectType, SECONDARY_IDENTIFIER), entry.name, object.secondaryIdentifier)) {
        return `name ${entry.name}`;
      }
      continue;
    }
    const matched = filterMatch(objectType, entry.filter!, object);
    if (matched !== null) return matched;
  }
  return null;
}

/** The attribute a filter's path names: `attributes/ri:uid`, `ri:uid`, `$account/attributes/uid`. */
export function filterAttribute(path: string): string | null {
  const parsed = parsePath(path.replace(/^attributes\//, '$account/attributes/'), 'account');
  return parsed.root === 'account' ? parsed.attribute : null;
}

/** What of the object the filter matches, said for people, or null when it doesn't match. */
export function filterMatch(objectType: Pick<ObjectTypeDefinition, 'attribute'> | undefined, filter: ProtectionFilter, object: ProtectionCandidate): string | null {
  if ('and' in filter) {
    const all = filter.and.map((f) => filterMatch(objectType, f, object));
    return all.every((m) => m !== null) ? all.join(' and ') : null;
  }
  if ('or' in filter) {
    for (const f of filter.or) {
      const m = filterMatch(objectType, f, object);
      if (m !== null) return m;
    }
    return null;
  }
  const [term, endsWith] = 'equal' in filter ? [filter.equal, false] : [filter.endsWith, true];
  const attribute = filterAttribute(term.path);
  if (attribute === null) return null;
  const values = getAttributeValues(
    { attributes: object.attributes ?? {}, secondaryIdentifier: object.secondaryIdentifier ?? undefined, primaryIdentifier: object.primaryIdentifier ?? undefined },
    attribute,
  );
  const rule = term.matchingRule ?? matchingRuleOf(objectType, attribute);
  if (!endsWith) return includesMatching(rule, values, term.value) ? `${attribute} = ${String(term.value)}` : null;
  return values.some((v) => endsWithMatching(rule, v, term.value)) ? `${attribute} ${rule === 'distinguishedName' ? 'under' : 'ends with'} ${String(term.value)}` : null;
}

/**
 * Does the value end with the suffix under the rule? Under `distinguishedName` the suffix is a whole
 * DN: `uid=svc1,ou=services,dc=example,dc=com` is under `ou=Services, dc=example,dc=com` (and the OU is
 * under itself), `uid=x,ou=myservices,...` is not.
 */
export function endsWithMatching(rule: MatchingRuleName, value: unknown, suffix: unknown): boolean {
  if (value === null || typeof value === 'object' || suffix === null || typeof suffix === 'object') return false;
  const v = String(normalizeValue(rule, value));
  const s = String(normalizeValue(rule, suffix));
  if (rule !== 'distinguishedName') return v.endsWith(s);
  if (v === s) return true;
  const at = v.length - s.length - 1;
  return at > 0 && v.endsWith(`,${s}`) && v[at - 1] !== '\\';
}

export function isProtected(objectType: Pick<ObjectTypeDefinition, 'attribute' | 'protected'> | undefined, object: ProtectionCandidate): boolean {
  return protectionOf(objectType, object) !== null;
}

/** Why an operation on a protected account is refused, for the operation's error and for people. */
export function protectedAccountMessage(operation: string, name: string | null | undefined, resourceName: string, why: string): string {
  return `${operation} of ${name ?? 'the account'} refused: it is a protected account of ${resourceName} (${why}); Tally never creates, changes or deletes it`;
}

/** The error kind of an operation refused because its account is protected. */
export const PROTECTED_ACCOUNT = 'ProtectedAccount';
