/** Errors of the model (pure code over configuration): evaluating again gives the same error, so retrying won't help. */
const modelErrorNames = new Set(['ExpressionError', 'ProjectionError', 'RoleResolutionError', 'DeltaError', 'PathError', 'ConfigurationLookupError']);

export function isModelError(e: unknown): e is Error {
  return e instanceof Error && modelErrorNames.has(e.name);
}
