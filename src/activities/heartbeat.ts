import { Context } from '@temporalio/activity';

/** How often a running activity says it is alive. */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Runs `work` heartbeating meanwhile, so Temporal notices the worker's death within the activity's
 * heartbeat timeout instead of its start-to-close timeout. Outside an activity (a direct call) it just runs.
 */
export async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return work();
  }
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
