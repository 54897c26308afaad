/**
 * Item paths as configuration writes them, and reading their values as lists.
 *
 * - `$user/fullName`, `$focus/fullName`, `fullName` (bare, in a user context): a user property;
 *   `extension/x` is a key of the user's extension map; `activation/administrativeStatus` nests.
 *   midPoint's prefixes are accepted: `$c:user/c:givenName` is `$user/givenName`.
 * - `$account/attributes/cn`, `$account/attributes/ri:cn`, `ri:cn`, `cn` (bare, in an account context):
 *   a resource attribute; `icfs:name` / `icfs:uid` are the secondary / primary identifier.
 * - `$shadow/...`: a field of the shadow document (`$shadow/attributes/x` reads its cached attributes).
 */
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { isMultiValuedTextUserProperty } from './user-properties';

export const SECONDARY_IDENTIFIER = 'icfs:name';
export const PRIMARY_IDENTIFIER = 'icfs:uid';

export type ItemPath =
  | { root: 'user'; segments: string[] }
  | { root: 'account'; attribute: string }
  | { root: 'shadow'; segments: string[] };

export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

/** `ri:cn` -> `cn`; `icfs:name` and `icfs:uid` keep their prefix (they are identifiers, not attributes). */
export function attributeName(ref: string): string {
  if (ref === SECONDARY_IDENTIFIER || ref === PRIMARY_IDENTIFIER) return ref;
  const colon = ref.indexOf(':');
  return colon >= 0 ? ref.slice(colon + 1) : ref;
}

/** The name a script sees a source by: the last path segment without a namespace prefix. */
export function variableName(path: string): string {
  const segments = path.split('/').filter((s) => s.length > 0);
  const last = segments[segments.length - 1] ?? path;
  const colon = last.indexOf(':');
  return colon >= 0 ? last.slice(colon + 1) : last;
}

/**
 * User path segments without the namespace prefixes midPoint users write: `c:givenName` -> `givenName`,
 * `extension/ext:badge` -> `extension/badge`.
 */
function userSegments(segments: readonly string[]): string[] {
  return segments.map((segment, i) => (i > 0 && segments[0] === 'extension' ? segment.replace(/^[A-Za-z][\w-]*:/, '') : segment.replace(/^c:/, '')));
}

export function parsePath(path: string, defaultRoot: 'user' | 'account' = 'user'): ItemPath {
  const trimmed = path.trim();
  if (trimmed.length === 0) throw new PathError('empty path');
  const segments = trimmed.split('/').filter((s) => s.length > 0);
  // `$c:user` is midPoint's qualified `$user`.
  const head = segments[0]!.replace(/^\$c:/, '$');
  if (head === '$user' || head === '$focus') {
    if (segments.length < 2) throw new PathError(`path '${path}' names no user property`);
    return { root: 'user', segments: userSegments(segments.slice(1)) };
  }
  if (head === '$account' || head === '$projection') {
    const rest = segments.slice(1);
    if (rest[0] === 'attributes' && rest.length === 2) return { root: 'account', attribute: attributeName(rest[1]!) };
    if (rest.length === 1 && (rest[0] === 'name' || rest[0] === 'secondaryIdentifier')) {
      return { root: 'account', attribute: SECONDARY_IDENTIFIER };
    }
    if (rest.length === 1 && rest[0] === 'primaryIdentifier') return { root: 'account', attribute: PRIMARY_IDENTIFIER };
    throw new PathError(`path '${path}': expected $account/attributes/<attribute>`);
  }
  if (head === '$shadow') {
    if (segments.length < 2) throw new PathError(`path '${path}' names no shadow field`);
    return { root: 'shadow', segments: segments.slice(1) };
  }
  if (head.startsWith('$')) throw new PathError(`path '${path}': unknown variable ${head} (expected $user, $focus, $account or $shadow)`);
  if (segments.length === 1 && (/^(ri|icfs):/.test(head) || defaultRoot === 'account')) {
    return { root: 'account', attribute: attributeName(head) };
  }
  return { root: 'user', segments: userSegments(segments) };
}

/** The canonical key of a user path, as used in ItemDelta.path and changedUserPaths: `fullName`, `extension/x`. */
export function userPathKey(path: string | ItemPath): string {
  const parsed = typeof path === 'string' ? parsePath(path, 'user') : path;
  if (parsed.root !== 'user') throw new PathError(`'${typeof path === 'string' ? path : pathToString(path)}' is not a user path`);
  return parsed.segments.join('/');
}

export function pathToString(path: ItemPath): string {
  switch (path.root) {
    case 'user':
      return `$user/${path.segments.join('/')}`;
    case 'account':
      return `$account/attributes/${path.attribute}`;
    case 'shadow':
      return `$shadow/${path.segments.join('/')}`;
  }
}

/** User properties that hold a list of values. */
const MULTI_VALUED_USER_PROPERTIES = new Set(['assignment', 'linkRef']);
export function isMultiValuedUserPath(key: string): boolean {
  return MULTI_VALUED_USER_PROPERTIES.has(key) || isMultiValuedTextUserProperty(key);
}

/** Any value as a list: undefined/null -> [], an array as is, anything else -> [value]. */
export function asList(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function readSegments(root: unknown, segments: string[]): unknown {
  let current: unknown = root;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export function getUserValues(user: UserDoc | null | undefined, segmentsOrKey: string[] | string): unknown[] {
  if (!user) return [];
  const segments = typeof segmentsOrKey === 'string' ? segmentsOrKey.split('/') : segmentsOrKey;
  return asList(readSegments(user, segments));
}

/**
 * Attribute values of a resource object. Attribute names are matched exactly first, then
 * case-insensitively (LDAP attribute names are case-insensitive).
 */
export function getAttributeValues(
  object: Pick<ResourceObject, 'attributes'> & Partial<Pick<ResourceObject, 'primaryIdentifier' | 'secondaryIdentifier'>> | null | undefined,
  attribute: string,
): unknown[] {
  if (!object) return [];
  const name = attributeName(attribute);
  if (name === SECONDARY_IDENTIFIER) return asList(object.secondaryIdentifier);
  if (name === PRIMARY_IDENTIFIER) return asList(object.primaryIdentifier);
  const attributes = object.attributes ?? {};
  if (Object.prototype.hasOwnProperty.call(attributes, name)) return asList(attributes[name]);
  const lower = name.toLowerCase();
  for (const key of Object.keys(attributes)) {
    if (key.toLowerCase() === lower) return asList(attributes[key]);
  }
  return [];
}

export function getShadowValues(shadow: ShadowDoc | null | undefined, segments: string[]): unknown[] {
  if (!shadow) return [];
  if (segments[0] === 'attributes' && segments.length === 2) {
    return getAttributeValues({ attributes: shadow.attributes ?? {} }, segments[1]!);
  }
  return asList(readSegments(shadow, segments));
}

export interface PathRoots {
  user?: UserDoc | null;
  account?: ResourceObject | null;
  shadow?: ShadowDoc | null;
}

export function getPathValues(path: ItemPath, roots: PathRoots): unknown[] {
  switch (path.root) {
    case 'user':
      return getUserValues(roots.user, path.segments);
    case 'account':
      return getAttributeValues(roots.account, path.attribute);
    case 'shadow':
      return getShadowValues(roots.shadow, path.segments);
  }
}

/** `extension/x` -> `extension.x`: the MongoDB field of a user path. */
export function userPathToField(path: string): string {
  return userPathKey(path).split('/').join('.');
}

/** Same attribute? Compares normalised names case-insensitively. */
export function sameAttribute(a: string, b: string): boolean {
  return attributeName(a).toLowerCase() === attributeName(b).toLowerCase();
}
