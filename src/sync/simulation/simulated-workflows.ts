/**
 * Tally's workflows as a simulation sees them: nothing is started or signalled (a simulated change hands
 * no work on); whether a workflow runs is still asked of Temporal.
 */
import type { WorkflowStarter } from '../../provisioning';

const NOT_STARTED = 'simulated (not started)';

export function simulatedWorkflows(real: WorkflowStarter): WorkflowStarter {
  return {
    requestUserProvisioning: async () => NOT_STARTED,
    requestRoleProvisioning: async () => NOT_STARTED,
    requestActivationTimer: async () => NOT_STARTED,
    requestUserDeletion: async () => NOT_STARTED,
    requestAccountProvisioning: async () => NOT_STARTED,
    reportChange: async () => NOT_STARTED,
    requestResourceRun: async () => ({ workflowId: NOT_STARTED, started: false }),
    isWorkflowOpen: (workflowId) => real.isWorkflowOpen(workflowId),
  };
}
