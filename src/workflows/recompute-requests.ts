import type { z } from 'zod';
import type { provisionUserInputSchema } from '../schema/workflow-inputs';

export type RecomputeRequest = z.output<typeof provisionUserInputSchema>;

/** Whether a request says which assignments it added: it names them, or it changed no assignment. */
const knowsAdded = (r: RecomputeRequest) => r.addedAssignments !== undefined || (r.changedUserPaths !== undefined && !r.changedUserPaths.includes('assignment'));

/**
 * Requests waiting for one user become one recomputation: changed paths and removed and added
 * assignments add up (added ones become unknown when one request changed assignments without naming them).
 */
export function mergeRecomputeRequests(requests: RecomputeRequest[]): RecomputeRequest {
  const [first, ...rest] = requests;
  return rest.reduce<RecomputeRequest>((merged, next) => {
    const { addedAssignments: _added, ...withoutAdded } = merged;
    const addedKnown = knowsAdded(merged) && knowsAdded(next);
    return {
      ...withoutAdded,
      channel: next.channel,
      changedUserPaths:
        merged.changedUserPaths && next.changedUserPaths ? [...new Set([...merged.changedUserPaths, ...next.changedUserPaths])] : undefined,
      removedAssignments: [...(merged.removedAssignments ?? []), ...(next.removedAssignments ?? [])],
      ...(addedKnown ? { addedAssignments: [...(merged.addedAssignments ?? []), ...(next.addedAssignments ?? [])] } : {}),
    };
  }, first);
}
