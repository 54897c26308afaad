/**
 * Checks of a resource's object types that need the whole resource: LDAP-only delineation
 * (baseContext, searchFilter, objectClasses) and associations (LDAP, SCIM) that name an entitlement type of the
 * resource, in a direction Tally carries out.
 */
import { isDirectoryConnector, type ConfigObject, type ObjectTypeDefinition, type ResourceConfig } from '../schema/config';
import { associationAttribute } from '../schema/association-names';
import { findAssociation } from '../model/associations';
import { findObjectType } from '../model/resources';
import type { PathSegment } from './value-path';

/** Problems with paths into the parsed object (`schemaHandling.objectType[i]`, as mappingProblems gives them). */
export function objectTypeProblems(object: ConfigObject): Array<{ path: PathSegment[]; message: string }> {
  if (object.kind !== 'Resource') return [];
  const resource = object;
  const problems: Array<{ path: PathSegment[]; message: string }> = [];
  const report = (path: PathSegment[], message: string) => problems.push({ path, message });
  const ldap = isDirectoryConnector(resource.connector);
  const scim = resource.connector.type === 'scim';
  const key = 'objectType' as const;
  resource.schemaHandling.objectType.forEach((type, i) => {
    const at: PathSegment[] = ['schemaHandling', key, i];
    if (!ldap) {
      const layout = scim ? "a SCIM resource's object types are its Users (objectClass: User) and Groups (objectClass: Group)" : `the ${resource.connector.type} connector has one table per resource`;
      for (const field of ['baseContext', 'searchFilter', 'objectClasses'] as const) {
        if (type[field] !== undefined) report([...at, field], `${field} is an LDAP setting; ${layout}`);
      }
    }
    const seen = new Set<string>();
    (type.association ?? []).forEach((a, j) => {
      const where: PathSegment[] = [...at, 'association', j];
      if (!ldap && !scim) {
        report(where, `the ${resource.connector.type} connector has no entitlements (groups): associations need an LDAP or a SCIM resource`);
        return;
      }
      // A SCIM Group lists its members' ids in members[].value.
      if (scim && a.associationAttribute.replace(/^ri:/, '') !== 'members') report([...where, 'associationAttribute'], 'a SCIM Group lists its members in `members`: expected associationAttribute: members');
      if (type.kind !== 'account') report(where, `associations belong to an account type; this type is of kind ${type.kind}`);
      const name = associationAttribute(a.ref).toLowerCase();
      if (seen.has(name)) report([...where, 'ref'], `duplicate association "${a.ref}" on this object type`);
      seen.add(name);
      if (a.direction !== 'objectToSubject') {
        report([...where, 'direction'], 'only objectToSubject is supported: the entitlement (group) lists its members');
      }
      const entitlement = findObjectType(resource, 'entitlement', a.intent);
      if (!entitlement) {
        const intents = resource.schemaHandling.objectType.filter((t) => t.kind === 'entitlement').map((t) => `"${t.intent}"`);
        report(
          [...where, 'intent'],
          `no entitlement object type with intent "${a.intent}" in schemaHandling${intents.length > 0 ? ` (entitlement intents: ${intents.join(', ')})` : ' (add one: kind: entitlement, objectClass: groupOfNames, baseContext: ...)'}`,
        );
      }
    });
  });
  return problems;
}

/** A construction's association ref that the object type it targets doesn't define, said so; else null. */
export function unknownAssociation(resource: ResourceConfig, type: ObjectTypeDefinition, ref: string): string | null {
  if (findAssociation(type, ref)) return null;
  const known = (type.association ?? []).map((a) => `"${a.ref}"`);
  return `resource "${resource.name}" has no association "${ref}" on its ${type.kind} type "${type.intent}"${known.length > 0 ? ` (associations: ${known.join(', ')})` : ' (it defines none)'}`;
}
