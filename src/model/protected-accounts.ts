/**
 * Protected accounts (midPoint's `protected`): resource objects Tally never correlates, modifies or
 * deletes, such as a directory's administrator entry. An object is protected when its name or one of its
 * attribute values matches an entry of its object type's `protected` list, under the attribute's matching rule.
 */
import type { ObjectTypeDefinition } from '../schema/config';
import type { Attributes } from '../schema/objects';
import { includesMatching, matchingRuleOf, valuesMatch } from './matching-rules';
import { getAttributeValues, parsePath, SECONDARY_IDENTIFIER } from './paths';

export interface ProtectionCandidate {
  secondaryIdentifier: string | null | undefined;
  primaryIdentifier?: string | null;
  attributes?: Attributes;
}

/** The protected entry the object matches (`name uid=admin,...`, `uid = admin`), or null. */
export function protectionOf(objectType: Pick<ObjectTypeDefinition, 'attribute' | 'protected'> | undefined, object: ProtectionCandidate): string | null {
  for (const entry of objectType?.protected ?? []) {
    if (entry.name !== undefined) {
      if (object.secondaryIdentifier && valuesMatch(matchingRuleOf(objectType, SECONDARY_IDENTIFIER), entry.name, object.secondaryIdentifier)) {
        return `name ${entry.name}`;
      }
      continue;
    }
    const { path, value } = entry.filter!.equal;
    const parsed = parsePath(path.replace(/^attributes\//, '$account/attributes/'), 'account');
    if (parsed.root !== 'account') continue;
    const values = getAttributeValues(
      { attributes: object.attributes ?? {}, secondaryIdentifier: object.secondaryIdentifier ?? undefined, primaryIdentifier: object.primaryIdentifier ?? undefined },
      parsed.attribute,
    );
    if (includesMatching(matchingRuleOf(objectType, parsed.attribute), values, value)) return `${parsed.attribute} = ${String(value)}`;
  }
  return null;
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
