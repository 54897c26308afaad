import type { PendingOperation } from '../../src/schema/objects';

/**
 * What a worker killed between queueing an operation and executing it leaves on a shadow: a modify of cn,
 * in progress, claimed until `claimedUntil` by `claimedBy`, an executor that is gone.
 */
export function strandedCnModify(options: {
  id: string;
  cn: string;
  requestedAt: string;
  claimedUntil: string;
  claimedBy: string;
  /** The live-sync workflow that queued it, where the test says so. */
  from?: { channel: PendingOperation['channel']; workflowId: string };
}): PendingOperation {
  return {
    id: options.id,
    type: 'modify',
    delta: [{ path: 'cn', replace: [options.cn] }],
    attemptNumber: 0,
    requestTimestamp: options.requestedAt,
    result: { status: 'in-progress' },
    ...options.from,
    executing: true,
    executingUntil: options.claimedUntil,
    executingBy: options.claimedBy,
  };
}
