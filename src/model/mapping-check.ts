/**
 * Compiles every mapping and expression of a configuration object, so `tally apply` refuses a script that
 * would fail later (unknown variable, forbidden property, syntax) or a path that names nothing, with the
 * place it is written.
 */
import type { ConfigObject, CorrelationQuery, Expression, ProtectionFilter } from '../schema/config';
import { compileExpression } from './expressions';
import { compileMapping, type MappingSpec } from './mappings';
import { attributeName, parsePath, PathError } from './paths';
import { rolePropertyProblem, userPropertyProblem } from './user-properties';

export type CheckPath = Array<string | number>;
export interface MappingProblem {
  /** Path in the parsed object (`schemaHandling.objectType` for the seeds' `accountType` too). */
  path: CheckPath;
  message: string;
}

function attempt(problems: MappingProblem[], path: CheckPath, compile: () => unknown): void {
  try {
    compile();
  } catch (e) {
    problems.push({ path, message: e instanceof Error ? e.message : String(e) });
  }
}

const outbound = (problems: MappingProblem[], path: CheckPath, spec: MappingSpec, role: string) =>
  attempt(problems, path, () => compileMapping(spec, { context: { role }, defaultSourceRoot: 'user' }));

const expression = (problems: MappingProblem[], path: CheckPath, expr: Expression | undefined, role: string, sources: string[] = []) => {
  if (expr) attempt(problems, path, () => compileExpression(expr, { context: { role }, sources }));
};

/**
 * A path that names nothing is refused: a user path outside the user's properties and `extension/`, an
 * account path where an attribute is expected, a variable that isn't one.
 */
function pathProblem(problems: MappingProblem[], at: CheckPath, path: string, defaultRoot: 'user' | 'account', expected?: 'user' | 'account', focus: 'user' | 'role' = 'user'): void {
  let parsed;
  try {
    parsed = parsePath(path, defaultRoot);
  } catch (e) {
    // A mapping's sources are parsed when it is compiled, which reports the same error.
    if (!(e instanceof PathError)) throw e;
    if (at[at.length - 3] !== 'source') problems.push({ path: at, message: e.message });
    return;
  }
  if (expected && parsed.root !== expected) {
    const what = expected === 'user' ? 'a user property ($user/<property>)' : 'an account attribute (attributes/<attribute>)';
    problems.push({ path: at, message: `expected ${what}, got '${path}'` });
    return;
  }
  const problem = parsed.root === 'user' ? (focus === 'role' ? rolePropertyProblem(parsed.segments) : userPropertyProblem(parsed.segments)) : null;
  if (problem) problems.push({ path: at, message: problem });
}

const sourcePaths = (problems: MappingProblem[], at: CheckPath, spec: MappingSpec, defaultRoot: 'user' | 'account', focus: 'user' | 'role' = 'user') =>
  spec.source.forEach((source, i) => pathProblem(problems, [...at, 'source', i, 'path'], source.path, defaultRoot, undefined, focus));

const userTarget = (problems: MappingProblem[], at: CheckPath, target: { path: string }) =>
  pathProblem(problems, [...at, 'target', 'path'], target.path, 'user', 'user');

/** The `equal` and `endsWith` terms of a protected filter, with where each is. */
export function filterTerms(filter: ProtectionFilter | undefined, at: CheckPath): Array<{ at: CheckPath; path: string }> {
  if (!filter) return [];
  if ('and' in filter) return filter.and.flatMap((f, i) => filterTerms(f, [...at, 'and', i]));
  if ('or' in filter) return filter.or.flatMap((f, i) => filterTerms(f, [...at, 'or', i]));
  return 'equal' in filter ? [{ at: [...at, 'equal'], path: filter.equal.path }] : [{ at: [...at, 'endsWith'], path: filter.endsWith.path }];
}

function correlationPaths(problems: MappingProblem[], at: CheckPath, query: CorrelationQuery): void {
  if ('equal' in query) pathProblem(problems, [...at, 'equal', 'path'], query.equal.path, 'user', 'user');
  else ('and' in query ? query.and : query.or).forEach((q, i) => correlationPaths(problems, [...at, 'and' in query ? 'and' : 'or', i], q));
}

export function mappingProblems(object: ConfigObject): MappingProblem[] {
  const problems = mappingCompileProblems(object);
  switch (object.kind) {
    case 'Resource':
      object.schemaHandling.objectType.forEach((type, t) => {
        const at: CheckPath = ['schemaHandling', 'objectType', t];
        type.attribute.forEach((attribute, a) => {
          // An entitlement type's objects are roles' own projections: its outbound mappings read the role.
          attribute.outbound.forEach((spec, i) => sourcePaths(problems, [...at, 'attribute', a, 'outbound', i], spec, 'user', type.kind === 'entitlement' ? 'role' : 'user'));
          attribute.inbound.forEach((spec, i) => {
            sourcePaths(problems, [...at, 'attribute', a, 'inbound', i], spec, 'account');
            userTarget(problems, [...at, 'attribute', a, 'inbound', i], spec.target);
          });
        });
        type.protected.forEach((entry, p) => {
          for (const term of filterTerms(entry.filter, [...at, 'protected', p, 'filter'])) {
            pathProblem(problems, [...term.at, 'path'], term.path.replace(/^attributes\//, '$account/attributes/'), 'account', 'account');
          }
        });
      });
      object.synchronization.forEach((policy, p) => policy.correlation && correlationPaths(problems, ['synchronization', p, 'correlation'], policy.correlation));
      break;
    case 'ObjectTemplate':
      object.mapping.forEach((spec, i) => {
        sourcePaths(problems, ['mapping', i], spec, 'user');
        userTarget(problems, ['mapping', i], spec.target);
      });
      break;
    case 'Role':
      object.inducement.forEach((inducement, i) => {
        inducement.construction?.attribute.forEach((attribute, a) =>
          attribute.outbound.forEach((spec, m) => sourcePaths(problems, ['inducement', i, 'construction', 'attribute', a, 'outbound', m], spec, 'user')),
        );
        inducement.focusMappings?.mapping.forEach((spec, m) => {
          sourcePaths(problems, ['inducement', i, 'focusMappings', 'mapping', m], spec, 'user');
          userTarget(problems, ['inducement', i, 'focusMappings', 'mapping', m], spec.target);
        });
      });
      break;
    case 'User':
      break;
  }
  return problems;
}

function mappingCompileProblems(object: ConfigObject): MappingProblem[] {
  const problems: MappingProblem[] = [];
  switch (object.kind) {
    case 'Resource':
      object.schemaHandling.objectType.forEach((type, t) =>
        type.attribute.forEach((attribute, a) => {
          const at: CheckPath = ['schemaHandling', 'objectType', t, 'attribute', a];
          attribute.outbound.forEach((spec, i) => outbound(problems, [...at, 'outbound', i], spec, `outbound mapping of ${attribute.ref}`));
          attribute.inbound.forEach((spec, i) =>
            attempt(problems, [...at, 'inbound', i], () =>
              compileMapping(spec, {
                context: { role: `inbound mapping of ${attribute.ref}` },
                defaultSourceRoot: 'account',
                implicitSources: [{ path: `$account/attributes/${attributeName(attribute.ref)}` }],
              }),
            ),
          );
        }),
      );
      object.synchronization.forEach((policy, p) => expression(problems, ['synchronization', p, 'confirmation'], policy.confirmation, 'confirmation'));
      break;
    case 'ObjectTemplate':
      object.mapping.forEach((spec, i) => outbound(problems, ['mapping', i], spec, 'template mapping'));
      break;
    case 'Role':
      object.inducement.forEach((inducement, i) => {
        inducement.construction?.attribute.forEach((attribute, a) =>
          attribute.outbound.forEach((spec, m) =>
            outbound(problems, ['inducement', i, 'construction', 'attribute', a, 'outbound', m], spec, `outbound mapping of ${attribute.ref}`),
          ),
        );
        inducement.focusMappings?.mapping.forEach((spec, m) => outbound(problems, ['inducement', i, 'focusMappings', 'mapping', m], spec, 'focus mapping'));
      });
      break;
    case 'User':
      break;
  }
  return problems;
}
