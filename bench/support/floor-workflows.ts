/** The Temporal floor: the least a per-object workflow can cost (one workflow, one local activity doing nothing). */
import { proxyLocalActivities } from '@temporalio/workflow';

const acts = proxyLocalActivities<{ nothing(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function floorWorkflow(): Promise<void> {
  await acts.nothing();
}
