/**
 * The user's properties as paths address them, so a path to something a user doesn't have (`$user/nmae`)
 * is refused where it is written instead of addressing nothing.
 */
import { MULTI_VALUED_TEXT_USER_PROPERTIES, SINGLE_VALUED_USER_PROPERTIES } from '../schema/objects';

/** Properties holding structure: any path below them is theirs to define. */
const STRUCTURED_USER_PROPERTIES = ['extension', 'activation', 'credentials'];
/** Properties Tally keeps itself, readable by mappings. */
const KEPT_USER_PROPERTIES = ['oid', 'assignment', 'linkRef', 'templateRef'];

const KNOWN = new Set<string>([...SINGLE_VALUED_USER_PROPERTIES, ...MULTI_VALUED_TEXT_USER_PROPERTIES, ...KEPT_USER_PROPERTIES]);

export function isMultiValuedTextUserProperty(key: string): boolean {
  return (MULTI_VALUED_TEXT_USER_PROPERTIES as readonly string[]).includes(key);
}

/** What outbound mappings of an entitlement type read of the role projected to it (`$focus/name`). */
const ROLE_PROPERTIES = ['oid', 'name', 'description'];

/** Why a path names no property of a role (the focus of an entitlement type's mappings), or null when it names one. */
export function rolePropertyProblem(segments: readonly string[]): string | null {
  if (segments.length === 1 && ROLE_PROPERTIES.includes(segments[0]!)) return null;
  return `'${segments.join('/')}' is not a role property; an entitlement type's outbound mappings read the role projected to it: expected one of ${ROLE_PROPERTIES.join(', ')}`;
}

/** Why a user path (its segments, prefixes stripped) names no user property, or null when it names one. */
export function userPropertyProblem(segments: readonly string[]): string | null {
  const [head, ...rest] = segments;
  if (head === undefined) return 'the path names no user property';
  if (STRUCTURED_USER_PROPERTIES.includes(head)) {
    return rest.length === 0 && head === 'extension' ? 'expected extension/<name>' : null;
  }
  if (KNOWN.has(head) && rest.length === 0) return null;
  const known = [...SINGLE_VALUED_USER_PROPERTIES, ...MULTI_VALUED_TEXT_USER_PROPERTIES].join(', ');
  return `'${segments.join('/')}' is not a user property; expected one of ${known}, activation/..., credentials/... or extension/<name>`;
}
