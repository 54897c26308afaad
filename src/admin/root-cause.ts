/** The innermost message of a Temporal failure chain (WorkflowFailedError -> ActivityFailure -> ApplicationFailure). */
export function rootCause(e: unknown): string {
  let current = e as { cause?: unknown; message?: string } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(e);
}
