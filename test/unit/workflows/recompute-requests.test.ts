import { mergeRecomputeRequests, type RecomputeRequest } from '../../../src/workflows/recompute-requests';

const request = (fields: Partial<RecomputeRequest>): RecomputeRequest => ({ userOid: 'u-1', channel: 'user', ...fields });
const pirate = { targetRef: 'Pirate' };
const sailor = { targetRef: 'Sailor' };

describe('recompute requests waiting for one user become one', () => {
  test('added and removed assignments add up', () => {
    const merged = mergeRecomputeRequests([
      request({ changedUserPaths: ['assignment'], addedAssignments: [pirate] }),
      request({ changedUserPaths: ['assignment'], removedAssignments: [sailor], addedAssignments: [] }),
      request({ changedUserPaths: ['givenName'] }),
    ]);
    expect(merged).toEqual(request({ changedUserPaths: ['assignment', 'givenName'], removedAssignments: [sailor], addedAssignments: [pirate] }));
  });

  test('a request that changed assignments without naming the added ones makes them unknown', () => {
    const merged = mergeRecomputeRequests([request({ changedUserPaths: ['assignment'], addedAssignments: [pirate] }), request({ changedUserPaths: ['assignment'] })]);
    expect(merged.addedAssignments).toBeUndefined();
    expect(merged.changedUserPaths).toEqual(['assignment']);
  });
});
