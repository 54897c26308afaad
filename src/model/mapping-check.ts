/**
 * Compiles every mapping and expression of a configuration object, so `tally apply` refuses a script that
 * would fail later (unknown variable, forbidden property, syntax) with the place it is written.
 */
import type { ConfigObject, Expression } from '../schema/config';
import { compileExpression } from './expressions';
import { compileMapping, type MappingSpec } from './mappings';
import { attributeName } from './paths';

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

export function mappingProblems(object: ConfigObject): MappingProblem[] {
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
