/**
 * Every attribute a resource's configuration refers to must be one its object type's objects can have:
 * attribute definitions, inbound sources, protected filters, the status and password attributes,
 * associations (the account's value attribute, the entitlement's member attribute) and correlation.
 * The schema is the resource's, read at apply, or the one the resource declares (`schema.objectClass`).
 * The constructions of roles and users are checked the same way against the object type they target.
 */
import type { AccountConstruction, CorrelationQuery, ObjectTypeDefinition, OutboundMapping, ResourceConfig } from '../schema/config';
import { unknownAssociation } from './association-checks';
import { identifierNames, identifierRef, type IdentifierNames } from '../model/identifier-names';
import { filterTerms } from '../model/mapping-check';
import { attributeName, parsePath, PathError, PRIMARY_IDENTIFIER, SECONDARY_IDENTIFIER } from '../model/paths';
import { findObjectType, objectClassesOf } from '../model/resources';
import { closest } from './format-issues';
import type { PathSegment } from './value-path';

/** What the objects of one object type can have; `unknownClasses`: its classes the schema lacks. */
export interface ObjectTypeSchema {
  attributes: readonly string[];
  unknownClasses: readonly string[];
}

export interface AttributeNameProblem {
  /** Path into the parsed resource (`schemaHandling.objectType[i]...`). */
  path: PathSegment[];
  message: string;
}

/** The declared schema, per object type of the resource (in schemaHandling order). */
export function declaredObjectTypeSchemas(resource: ResourceConfig): ObjectTypeSchema[] {
  const declared = resource.schema?.objectClass ?? [];
  return resource.schemaHandling.objectType.map((type) => {
    const classes = objectClassesOf(resource, type).map((c) => declared.find((d) => d.name.toLowerCase() === c.toLowerCase()));
    return {
      attributes: classes.flatMap((d) => d?.attribute ?? []),
      unknownClasses: classes[0] ? [] : [type.objectClass],
    };
  });
}

export const typeName = (type: ObjectTypeDefinition) => type.name ?? type.displayName ?? `${type.kind}/${type.intent}`;

/**
 * Checks of names against the schema of one resource's object types (by index into schemaHandling):
 * `attribute` an attribute ref, `accountPath` a path that may name an account attribute (a user path passes;
 * a bare name is read as the mapping reads it: an outbound source's `fullName` is the user's).
 */
function schemaChecker(resource: ResourceConfig, schemas: readonly ObjectTypeSchema[], problems: AttributeNameProblem[]) {
  const names = identifierNames(resource.connector);
  const types = resource.schemaHandling.objectType;
  const usable = (t: number) => schemas[t] !== undefined && !schemas[t]!.unknownClasses.some((c) => c.toLowerCase() === types[t]!.objectClass.toLowerCase());
  const attribute = (t: number, path: PathSegment[], ref: string) => {
    if (!usable(t)) return;
    const problem = unknownAttribute(resource, types[t]!, schemas[t]!, ref, names);
    if (problem) problems.push({ path, message: problem });
  };
  const accountPath = (t: number, path: PathSegment[], written: string, bare: 'user' | 'account' = 'account') => {
    const name = accountAttribute(written, bare);
    if (name !== null) attribute(t, path, name);
  };
  return { attribute, accountPath };
}

export function attributeNameProblems(resource: ResourceConfig, schemas: readonly ObjectTypeSchema[]): AttributeNameProblem[] {
  const problems: AttributeNameProblem[] = [];
  const types = resource.schemaHandling.objectType;
  const { attribute: check, accountPath: checkPath } = schemaChecker(resource, schemas, problems);

  types.forEach((type, t) => {
    const at: PathSegment[] = ['schemaHandling', 'objectType', t];
    const unknown = schemas[t]?.unknownClasses ?? [];
    if (unknown.length > 0) {
      const structural = unknown.some((c) => c.toLowerCase() === type.objectClass.toLowerCase());
      problems.push({
        path: [...at, structural ? 'objectClass' : 'objectClasses'],
        message: `resource "${resource.name}"'s schema has no object class ${unknown.map((c) => `'${c}'`).join(', ')}`,
      });
    }
    type.attribute.forEach((a, i) => {
      check(t, [...at, 'attribute', i, 'ref'], a.ref);
      a.outbound.forEach((m, j) => m.source.forEach((s, k) => checkPath(t, [...at, 'attribute', i, 'outbound', j, 'source', k, 'path'], s.path, 'user')));
      a.inbound.forEach((m, j) => m.source.forEach((s, k) => checkPath(t, [...at, 'attribute', i, 'inbound', j, 'source', k, 'path'], s.path)));
    });
    type.protected.forEach((p, i) => filterTerms(p.filter, [...at, 'protected', i, 'filter']).forEach((term) => checkPath(t, [...term.at, 'path'], term.path)));
    if (type.activation?.administrativeStatus) check(t, [...at, 'activation', 'administrativeStatus', 'attribute'], type.activation.administrativeStatus.attribute);
    if (type.credentials?.password?.attribute) check(t, [...at, 'credentials', 'password', 'attribute'], type.credentials.password.attribute);
    (type.association ?? []).forEach((a, i) => {
      check(t, [...at, 'association', i, 'valueAttribute'], a.valueAttribute);
      const entitlement = types.findIndex((e) => e.kind === 'entitlement' && e.intent === a.intent);
      if (entitlement >= 0) check(entitlement, [...at, 'association', i, 'associationAttribute'], a.associationAttribute);
    });
  });
  resource.synchronization.forEach((policy, p) => {
    const type = findObjectType(resource, policy.kind, policy.intent);
    if (!type || !policy.correlation) return;
    const t = types.indexOf(type);
    correlationExpressionPaths(policy.correlation, ['synchronization', p, 'correlation']).forEach((e) => checkPath(t, e.at, e.path));
  });
  return problems;
}

/**
 * A role's or a user's construction against the object type it targets (its resource's schema, or null
 * when it could not be read: then only its associations are checked): its attributes, its outbound
 * mappings' account sources and its associations. `at`: the construction's path in its object.
 */
export function constructionNameProblems(
  construction: AccountConstruction,
  at: readonly PathSegment[],
  resource: ResourceConfig,
  schemas: readonly ObjectTypeSchema[] | null,
): AttributeNameProblem[] {
  const problems: AttributeNameProblem[] = [];
  const type = findObjectType(resource, construction.kind, construction.intent);
  if (!type) return problems; // the loader's reference check says so
  const t = resource.schemaHandling.objectType.indexOf(type);
  const { attribute, accountPath } = schemaChecker(resource, schemas ?? [], problems);
  const sources = (mappings: readonly OutboundMapping[], path: PathSegment[]) =>
    mappings.forEach((m, j) => m.source.forEach((s, k) => accountPath(t, [...path, j, 'source', k, 'path'], s.path, 'user')));
  construction.attribute.forEach((a, i) => {
    attribute(t, [...at, 'attribute', i, 'ref'], a.ref);
    sources(a.outbound, [...at, 'attribute', i, 'outbound']);
  });
  (construction.association ?? []).forEach((a, i) => {
    const unknown = unknownAssociation(resource, type, a.ref);
    if (unknown) problems.push({ path: [...at, 'association', i, 'ref'], message: unknown });
    sources(a.outbound ?? [], [...at, 'association', i, 'outbound']);
  });
  return problems;
}

/**
 * The attribute an account path names (`$account/attributes/ri:uid`, `attributes/uid`, `ri:uid`), or null for a
 * user path; a bare name (`uid`) is of the `bare` root.
 */
function accountAttribute(path: string, bare: 'user' | 'account'): string | null {
  try {
    const parsed = parsePath(path.replace(/^attributes\//, '$account/attributes/'), bare);
    return parsed.root === 'account' ? parsed.attribute : null;
  } catch (e) {
    if (e instanceof PathError) return null; // mapping-check reports it
    throw e;
  }
}

function correlationExpressionPaths(query: CorrelationQuery, at: PathSegment[]): Array<{ at: PathSegment[]; path: string }> {
  if ('and' in query) return query.and.flatMap((q, i) => correlationExpressionPaths(q, [...at, 'and', i]));
  if ('or' in query) return query.or.flatMap((q, i) => correlationExpressionPaths(q, [...at, 'or', i]));
  const path = query.equal.expression.path;
  return path === undefined ? [] : [{ at: [...at, 'equal', 'expression', 'path'], path }];
}

function unknownAttribute(resource: ResourceConfig, type: ObjectTypeDefinition, schema: ObjectTypeSchema, ref: string, names: IdentifierNames): string | null {
  const name = attributeName(identifierRef(ref, names));
  if (name === SECONDARY_IDENTIFIER || name === PRIMARY_IDENTIFIER) return null;
  if (schema.attributes.some((a) => a.toLowerCase() === name.toLowerCase())) return null;
  const suggestion = closest(name, schema.attributes);
  return `resource "${resource.name}"'s object type "${typeName(type)}" has no attribute '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`;
}
