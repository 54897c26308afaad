/**
 * The pseudo-attribute an association travels in between model, shadows and connectors:
 * `ri:group` -> `association/group`. Its values are the entitlements' names (an LDAP group's DN).
 */
export const ASSOCIATION_PREFIX = 'association/';

export function associationAttribute(ref: string): string {
  return `${ASSOCIATION_PREFIX}${ref.slice(ref.indexOf(':') + 1)}`;
}

export function isAssociationAttribute(name: string): boolean {
  return name.toLowerCase().startsWith(ASSOCIATION_PREFIX);
}
