import { workflowInfo } from '@temporalio/workflow';

/** Whether this run's history is long enough to hand the work to a fresh run (continue-as-new): past `limit` events, or when Temporal suggests it. */
export function historyIsLong(limit: number): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}
