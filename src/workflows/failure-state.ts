import { ActivityFailure, ApplicationFailure, ContinueAsNew, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { searchAttributes } from './workflow-ids';

/** What went wrong, for a person: the innermost failure's type and message. */
export function rootMessage(e: unknown): string {
  if (e instanceof ActivityFailure && e.cause) return rootMessage(e.cause);
  if (e instanceof ApplicationFailure) return `${e.type ?? 'error'}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs a workflow body; when it fails, ops find it with TallyState="failed" and read why in its details. */
export async function markedOnFailure<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof ContinueAsNew) throw e;
    upsertSearchAttributes([{ key: searchAttributes.state, value: 'failed' }]);
    setCurrentDetails(`failed: ${rootMessage(e)}`);
    throw e;
  }
}
