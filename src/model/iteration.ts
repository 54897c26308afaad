/**
 * Iteration of account names on conflict: iteration 0 has the token '' (`jack`), iteration n the
 * token `n` (`jack1`, `jack2`), unless the object type's `iteration.tokenExpression` computes it
 * from `iteration`. Up to `maxIterations` further names are tried.
 */
import type { ObjectTypeDefinition } from '../schema/config';
import { compileExpression, ExpressionError, type Evaluator, type ExpressionContext } from './expressions';

type IterationConfig = NonNullable<ObjectTypeDefinition['iteration']>;

export const DEFAULT_MAX_ITERATIONS = 5;

export function maxIterations(config: IterationConfig | undefined): number {
  return config?.maxIterations ?? DEFAULT_MAX_ITERATIONS;
}

const tokenEvaluators = new WeakMap<object, Evaluator>();

export function iterationToken(iteration: number, config?: IterationConfig, context?: ExpressionContext): string {
  if (!Number.isInteger(iteration) || iteration < 0) {
    throw new ExpressionError(context, undefined, `iteration must be a non-negative integer, got ${iteration}`);
  }
  const expression = config?.tokenExpression;
  if (!expression) return iteration === 0 ? '' : String(iteration);
  let evaluate = tokenEvaluators.get(expression);
  if (!evaluate) {
    evaluate = compileExpression(expression, { context: { ...context, role: 'iteration token expression' } });
    tokenEvaluators.set(expression, evaluate);
  }
  const values = evaluate({ iteration });
  return values.length === 0 ? '' : String(values[0]);
}

/** Whether another iteration may be tried after `iteration`. */
export function canIterate(iteration: number, config?: IterationConfig): boolean {
  return iteration < maxIterations(config);
}

/**
 * Puts the token into a name whose mapping did not use `iterationToken` itself: into the first
 * RDN value of a DN (`uid=jack,ou=people` -> `uid=jack1,ou=people`), else at the end (`jack1`).
 */
export function applyIterationToken(name: string, token: string): string {
  if (token === '') return name;
  const dn = /^([A-Za-z][\w.-]*=)((?:\\.|[^,\\])*)(,.*)?$/.exec(name);
  if (dn && name.includes('=')) return `${dn[1]}${dn[2]}${token}${dn[3] ?? ''}`;
  return `${name}${token}`;
}
