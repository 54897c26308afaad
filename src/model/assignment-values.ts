/**
 * Values that mappings put into `assignment`: the seeds' shape `{ assignment: { accountConstruction:
 * { resourceRef } } }` or an assignment itself, normalised through the configuration schema so
 * defaults (kind 'account', intent 'default', attribute []) are filled in the same way as in YAML.
 */
import { assignmentSchema, type Assignment } from '../schema/config';
import { ExpressionError, type ExpressionContext } from './expressions';

export function normalizeAssignment(value: unknown, context?: ExpressionContext): Assignment {
  const inner =
    value !== null && typeof value === 'object' && !Array.isArray(value) && 'assignment' in value
      ? (value as { assignment: unknown }).assignment
      : value;
  const parsed = assignmentSchema.safeParse(inner);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(value)'}: ${i.message}`).join('; ');
    throw new ExpressionError(context, undefined, `the value is not an assignment: ${problems}`);
  }
  return parsed.data;
}
