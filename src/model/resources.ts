/** Finding resources (by oid or name) and their object types (by kind and intent). */
import { isDirectoryConnector, type ObjectTypeDefinition, type ResourceConfig } from '../schema/config';

export class ConfigurationLookupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationLookupError';
  }
}

/** How a resource is referred to in plans and shadows: its oid, or its name when it has none. */
export function resourceId(resource: ResourceConfig): string {
  return resource.oid ?? resource.name;
}

/**
 * Why live sync can't follow the resource, saying what to do instead; null when it can. A SCIM service tells
 * no one what changed: it is reconciled on a schedule.
 */
export function liveSyncUnavailable(resource: Pick<ResourceConfig, 'name' | 'connector'>): string | null {
  if (resource.connector.type !== 'scim') return null;
  return `${resource.name} is a SCIM service, and SCIM has no changelog: live sync has nothing to read. Schedule a reconciliation instead (reconciliation: { schedule: "*/15 * * * *" } on the resource), or run one: tally reconcile "${resource.name}"`;
}

export type ResourceLookup = (ref: string) => ResourceConfig | undefined;

export function resourceLookup(resources: readonly ResourceConfig[]): ResourceLookup {
  const byRef = new Map<string, ResourceConfig>();
  for (const r of resources) byRef.set(r.name, r);
  for (const r of resources) if (r.oid) byRef.set(r.oid, r);
  return (ref) => byRef.get(ref);
}

/**
 * The one object-type lookup: the type of that kind with exactly that intent, else (for intent
 * 'default', what an omitted intent becomes) the type of that kind marked `default: true`, else the
 * only type of that kind.
 */
export function findObjectType(resource: ResourceConfig, kind = 'account', intent = 'default'): ObjectTypeDefinition | undefined {
  return findObjectTypeAmong(resource.schemaHandling.objectType, kind, intent);
}

/** `findObjectType` over a resource's object types alone (a connector is given those, not the resource). */
export function findObjectTypeAmong(objectTypes: readonly ObjectTypeDefinition[], kind = 'account', intent = 'default'): ObjectTypeDefinition | undefined {
  const ofKind = objectTypes.filter((t) => t.kind === kind);
  const exact = ofKind.find((t) => t.intent === intent);
  if (exact) return exact;
  if (intent !== 'default') return undefined;
  return ofKind.find((t) => t.default) ?? (ofKind.length === 1 ? ofKind[0] : undefined);
}

export function requireObjectType(resource: ResourceConfig, kind = 'account', intent = 'default'): ObjectTypeDefinition {
  const type = findObjectType(resource, kind, intent);
  if (!type) {
    throw new ConfigurationLookupError(`resource ${resource.name} has no schemaHandling object type for kind '${kind}', intent '${intent}'`);
  }
  return type;
}

/** The kind/intent an object type is known by (its intent, or 'default' for the default type). */
export function objectTypeLabel(type: ObjectTypeDefinition): string {
  return type.name ?? `${type.kind}/${type.intent}`;
}

/**
 * The object classes an object of the type has: its objectClass and, on LDAP, those its entries are
 * created with (the type's objectClasses, else the connector's for accounts), auxiliary ones included.
 */
export function objectClassesOf(resource: Pick<ResourceConfig, 'connector'>, type: Pick<ObjectTypeDefinition, 'kind' | 'objectClass' | 'objectClasses'>): string[] {
  const c = resource.connector;
  const created = isDirectoryConnector(c) ? (type.objectClasses ?? (type.kind === 'account' ? c.objectClasses : [])) : [];
  return [type.objectClass, ...created.filter((oc) => oc.toLowerCase() !== type.objectClass.toLowerCase())];
}
