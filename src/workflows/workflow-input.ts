import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';

export const invalidInputFailureType = 'TallyInvalidInput';

/**
 * Validates a workflow's one JSON input. Bad input fails the workflow at once with a non-retryable error
 * naming every wrong field, instead of leaving it Running.
 */
export function parseWorkflowInput<S extends z.ZodType>(schema: S, raw: unknown, workflowType: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`)
    .join('; ');
  throw ApplicationFailure.nonRetryable(`${workflowType}: invalid input: ${problems}`, invalidInputFailureType);
}
