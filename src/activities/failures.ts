/**
 * Domain failures that retrying can't fix, raised as non-retryable ApplicationFailures with a `type`, so
 * workflows (and people reading histories) match them by type.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { classifyError } from '../provisioning';
import { isModelError } from '../model';

export const failureTypes = {
  configuration: 'TallyConfigurationError',
  /** A mapping, expression, role or template could not be evaluated: fix the configuration. */
  model: 'TallyModelError',
  invalidInput: 'TallyInvalidInput',
  /** The resource a change must be read from can't be reached: the workflow waits for it (retryable). */
  resourceUnreachable: 'TallyResourceUnreachable',
  /**
   * The routine failed on a change for another reason (a bug, data refused): processChange tries it again
   * by the resource's `consistency.failedChange`, which the failure carries, then holds it as failed.
   */
  changeFailed: 'TallyChangeFailed',
} as const;

/** Configuration and model errors won't heal by retrying the activity: fail fast with a typed failure. */
export async function failFastOnConfiguration<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const error = classifyError(e);
    if (error.handling === 'fail-fast') {
      throw ApplicationFailure.nonRetryable(error.message, failureTypes.configuration);
    }
    if (isModelError(e)) {
      throw ApplicationFailure.nonRetryable(e.message, failureTypes.model);
    }
    throw e;
  }
}

