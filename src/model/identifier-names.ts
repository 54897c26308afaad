/**
 * The names a resource's identifiers go by besides `icfs:name` and `icfs:uid`. midPoint's ConnId LDAP
 * connector calls an entry's name `ri:dn` and its stable id `ri:entryUUID`; an entry has no attribute of
 * either name, so they are read as the identifiers they mean: `dn` (and `entryDN`) is the secondary
 * identifier, the attribute the connector is configured with as primary identifier (`entryUUID`, a
 * table's `id` column) the primary one. `tally apply` stores a resource with these names resolved.
 */
import { AD_PRIMARY_IDENTIFIER } from '../schema/config';
import type { AccountConstruction, ConnectorConfig, CorrelationQuery, ObjectTypeDefinition, OutboundMapping, ProtectionFilter, ResourceConfig } from '../schema/config';
import { attributeName, parsePath, PathError, PRIMARY_IDENTIFIER, SECONDARY_IDENTIFIER, variableName } from './paths';

export interface IdentifierNames {
  secondary: readonly string[];
  primary: readonly string[];
}

export function identifierNames(connector: ConnectorConfig): IdentifierNames {
  switch (connector.type) {
    case 'ldap':
      return { secondary: ['dn', 'entryDN'], primary: [connector.primaryIdentifier] };
    case 'ad':
      return { secondary: ['dn', 'distinguishedName'], primary: [AD_PRIMARY_IDENTIFIER] };
    case 'postgres':
      return { secondary: [], primary: [connector.primaryIdentifier] };
    case 'csv':
      return { secondary: [], primary: [connector.uniqueAttribute] };
    case 'scim-service':
      return { secondary: ['userName'], primary: ['id'] };
    case 'scim':
      return { secondary: [], primary: ['id'] };
  }
}

const among = (names: readonly string[], name: string) => names.some((n) => n.toLowerCase() === name.toLowerCase());

/** `ri:dn` -> `icfs:name`, `ri:entryUUID` -> `icfs:uid` (where entryUUID is the primary identifier); any other ref as it is. */
export function identifierRef(ref: string, names: IdentifierNames): string {
  const name = attributeName(ref);
  if (name === SECONDARY_IDENTIFIER || name === PRIMARY_IDENTIFIER) return name;
  if (among(names.secondary, name)) return SECONDARY_IDENTIFIER;
  if (among(names.primary, name)) return PRIMARY_IDENTIFIER;
  return ref;
}

/**
 * An account path with an identifier's other name, as `$account/attributes/icfs:name` or `icfs:uid`;
 * `attributes/x` (a protected filter's path) is an account path too. Any other path as it is.
 */
export function identifierPath(path: string, names: IdentifierNames, defaultRoot: 'user' | 'account'): string {
  let parsed;
  try {
    parsed = parsePath(path.replace(/^attributes\//, '$account/attributes/'), defaultRoot);
  } catch (e) {
    if (e instanceof PathError) return path;
    throw e;
  }
  if (parsed.root !== 'account') return path;
  const ref = identifierRef(parsed.attribute, names);
  return ref === parsed.attribute ? path : `$account/attributes/${ref}`;
}

function filterWithNames(filter: ProtectionFilter, names: IdentifierNames): ProtectionFilter {
  if ('and' in filter) return { and: filter.and.map((f) => filterWithNames(f, names)) };
  if ('or' in filter) return { or: filter.or.map((f) => filterWithNames(f, names)) };
  if ('equal' in filter) return { equal: { ...filter.equal, path: identifierPath(filter.equal.path, names, 'account') } };
  return { endsWith: { ...filter.endsWith, path: identifierPath(filter.endsWith.path, names, 'account') } };
}

function correlationWithNames(query: CorrelationQuery, names: IdentifierNames): CorrelationQuery {
  if ('and' in query) return { and: query.and.map((q) => correlationWithNames(q, names)) };
  if ('or' in query) return { or: query.or.map((q) => correlationWithNames(q, names)) };
  const { expression } = query.equal;
  if (expression.path === undefined) return query;
  return { equal: { ...query.equal, expression: { ...expression, path: identifierPath(expression.path, names, 'account') } } };
}

/**
 * A mapping whose sources name an identifier by another name reads it as `icfs:name` / `icfs:uid`; its
 * script still sees the source by the name written (`dn`, not `name`).
 */
function sourcesWithNames<M extends Pick<OutboundMapping, 'source'>>(mapping: M, names: IdentifierNames, defaultRoot: 'user' | 'account'): M {
  return {
    ...mapping,
    source: mapping.source.map((s) => {
      const path = identifierPath(s.path, names, defaultRoot);
      return path === s.path ? s : { ...s, path, name: s.name ?? variableName(s.path) };
    }),
  };
}

function objectTypeWithNames(type: ObjectTypeDefinition, names: IdentifierNames): ObjectTypeDefinition {
  return {
    ...type,
    attribute: type.attribute.map((a) => ({
      ...a,
      ref: identifierRef(a.ref, names),
      outbound: a.outbound.map((m) => sourcesWithNames(m, names, 'user')),
      inbound: a.inbound.map((m) => sourcesWithNames(m, names, 'account')),
    })),
    protected: type.protected.map((p) => (p.filter ? { ...p, filter: filterWithNames(p.filter, names) } : p)),
  };
}

/** The resource with every reference to an identifier's other name (`ri:dn`, `ri:entryUUID`) resolved. */
export function withIdentifierNames(resource: ResourceConfig): ResourceConfig {
  const names = identifierNames(resource.connector);
  return {
    ...resource,
    schemaHandling: { ...resource.schemaHandling, objectType: resource.schemaHandling.objectType.map((t) => objectTypeWithNames(t, names)) },
    synchronization: resource.synchronization.map((s) => (s.correlation ? { ...s, correlation: correlationWithNames(s.correlation, names) } : s)),
  };
}

/**
 * A role's or a user's construction with the identifiers' other names resolved for the resource it targets:
 * its attributes (`ref: ri:dn` computes the name) and its outbound mappings' account sources. Association
 * refs name associations, not attributes, and stay as written.
 */
export function constructionWithIdentifierNames(construction: AccountConstruction, names: IdentifierNames): AccountConstruction {
  return {
    ...construction,
    attribute: construction.attribute.map((a) => ({
      ...a,
      ref: identifierRef(a.ref, names),
      outbound: a.outbound.map((m) => sourcesWithNames(m, names, 'user')),
    })),
    ...(construction.association
      ? { association: construction.association.map((a) => (a.outbound ? { ...a, outbound: a.outbound.map((m) => sourcesWithNames(m, names, 'user')) } : a)) }
      : {}),
  };
}
