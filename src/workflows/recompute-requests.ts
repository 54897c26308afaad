import type { z } from 'zod';
import type { provisionUserInputSchema } from '../schema/workflow-inputs';

export type RecomputeRequest = z.output<typeof provisionUserInputSchema>;

/** Requests waiting for one user become one recomputation: changed paths and removed assignments add up. */
export function mergeRecomputeRequests(requests: RecomputeRequest[]): RecomputeRequest {
  const [first, ...rest] = requests;
  return rest.reduce<RecomputeRequest>(
    (merged, next) => ({
      ...merged,
      channel: next.channel,
      changedUserPaths:
        merged.changedUserPaths && next.changedUserPaths ? [...new Set([...merged.changedUserPaths, ...next.changedUserPaths])] : undefined,
      removedAssignments: [...(merged.removedAssignments ?? []), ...(next.removedAssignments ?? [])],
    }),
    first,
  );
}
