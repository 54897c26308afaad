/**
 * Domain failures that retrying can't fix, raised as non-retryable ApplicationFailures with a `type`, so
 * workflows (and people reading histories) match them by type.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { isConnectorError } from '../connectors/connector-errors';

export const failureTypes = {
  configuration: 'TallyConfigurationError',
  /** A mapping, expression, role or template could not be evaluated: fix the configuration. */
  model: 'TallyModelError',
  invalidInput: 'TallyInvalidInput',
} as const;

/** Errors of the model (pure code over configuration): evaluating again gives the same error. */
const modelErrorNames = new Set(['ExpressionError', 'ProjectionError', 'RoleResolutionError', 'DeltaError', 'PathError', 'ConfigurationLookupError']);

/** Configuration and model errors won't heal by retrying the activity: fail fast with a typed failure. */
export async function failFastOnConfiguration<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isConnectorError(e) && e.kind === 'configuration') {
      throw ApplicationFailure.nonRetryable(e.message, failureTypes.configuration);
    }
    if (e instanceof Error && modelErrorNames.has(e.name)) {
      throw ApplicationFailure.nonRetryable(e.message, failureTypes.model);
    }
    throw e;
  }
}

