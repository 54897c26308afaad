/**
 * Situation of a resource object: correlation (a condition on user properties built from expressions
 * over the account, which the repository turns into its query), confirmation (second filtering of the
 * candidates) and the resulting situation.
 */
import type { CorrelationQuery, Expression, MatchingRuleName, ObjectTypeDefinition, Situation } from '../schema/config';
import { includesMatching, matchingRuleOf } from './matching-rules';
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { compileExpression, isTrue, type Evaluator, type ExpressionContext } from './expressions';
import { getUserValues, parsePath, PathError } from './paths';
import { ExpressionError } from './expressions';

const evaluators = new WeakMap<object, Evaluator>();

function evaluatorFor(expression: Expression, context: ExpressionContext): Evaluator {
  let evaluate = evaluators.get(expression);
  if (!evaluate) {
    evaluate = compileExpression(expression, { context });
    evaluators.set(expression, evaluate);
  }
  return evaluate;
}

function userField(path: string, context: ExpressionContext): string {
  let parsed;
  try {
    parsed = parsePath(path, 'user');
  } catch (e) {
    if (e instanceof PathError) throw new ExpressionError(context, path, e.message);
    throw e;
  }
  if (parsed.root !== 'user') throw new ExpressionError(context, path, `correlation path '${path}' is not a user property`);
  return parsed.segments.join('.');
}

/**
 * A condition on user properties: `field` is a dotted property path (`extension.employeeNumber`); values
 * match under `matchingRule` (exactly without one).
 */
export type CorrelationCondition =
  | { equal: { field: string; values: unknown[]; matchingRule?: MatchingRuleName } }
  | { and: CorrelationCondition[] }
  | { or: CorrelationCondition[] };

/**
 * The correlation condition of a query for one account. An expression with no value yields a
 * condition no user matches (an account without `uid` correlates to nobody, not to everybody).
 */
export function correlationCondition(
  query: CorrelationQuery,
  account: ResourceObject,
  options: { shadow?: ShadowDoc | null; resourceName?: string; objectType?: ObjectTypeDefinition } = {},
): CorrelationCondition {
  const context: ExpressionContext = { role: 'correlation', resource: options.resourceName };
  if ('equal' in query) {
    const field = userField(query.equal.path, context);
    const values = evaluatorFor(query.equal.expression, context)({ account, shadow: options.shadow ?? null });
    const matchingRule = query.equal.matching ?? expressionMatchingRule(query.equal.expression, options.objectType);
    return { equal: { field, values, ...(matchingRule && matchingRule !== 'default' ? { matchingRule } : {}) } };
  }
  if ('and' in query) return { and: query.and.map((q) => correlationCondition(q, account, options)) };
  return { or: query.or.map((q) => correlationCondition(q, account, options)) };
}

/** Whether the user matches the condition, each value compared under its matching rule. */
export function userMatchesCondition(user: UserDoc, condition: CorrelationCondition): boolean {
  if ('and' in condition) return condition.and.every((c) => userMatchesCondition(user, c));
  if ('or' in condition) return condition.or.some((c) => userMatchesCondition(user, c));
  const { field, values, matchingRule } = condition.equal;
  const have = getUserValues(user, field.split('.'));
  return values.some((v) => includesMatching(matchingRule, have, v));
}

/** The matching rule of the account attribute an expression copies (`path: $account/attributes/uid`), if it is one. */
function expressionMatchingRule(expression: Expression, objectType: ObjectTypeDefinition | undefined): MatchingRuleName | undefined {
  if (!objectType || expression.path === undefined) return undefined;
  try {
    const path = parsePath(expression.path, 'account');
    return path.root === 'account' ? matchingRuleOf(objectType, path.attribute) : undefined;
  } catch {
    return undefined;
  }
}

/** Candidates the confirmation expression (over `user` and `account`) accepts; all of them without one. */
export function confirmCandidates(
  confirmation: Expression | undefined,
  account: ResourceObject,
  candidates: readonly UserDoc[],
  options: { shadow?: ShadowDoc | null; resourceName?: string } = {},
): UserDoc[] {
  if (!confirmation) return [...candidates];
  const evaluate = evaluatorFor(confirmation, { role: 'confirmation', resource: options.resourceName });
  return candidates.filter((user) => isTrue(evaluate({ user, account, shadow: options.shadow ?? null })));
}

export interface SituationInput {
  /** The shadow's owner (ownerRef), or null. */
  ownerRef: string | null;
  /** Whether the object still exists on the resource. */
  exists: boolean;
  /** Candidate owners after confirmation (ignored when there is an owner). */
  candidates: readonly UserDoc[];
}

export function determineSituation(input: SituationInput): Situation {
  if (!input.exists) return 'deleted';
  if (input.ownerRef) return 'linked';
  if (input.candidates.length === 1) return 'unlinked';
  if (input.candidates.length === 0) return 'unmatched';
  return 'disputed';
}
