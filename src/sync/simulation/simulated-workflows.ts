/**
 * Tally's workflows as a simulation sees them: nothing is started or signalled. The work a simulated
 * change hands to a workflow that changes accounts (a user's deletion or provisioning, a role's
 * projection) is queued, for the simulation to do in the sandbox after the change, as the workflow would.
 */
import type { WorkflowStarter } from '../../provisioning';
import type { DeleteUserInput, ProvisionRoleInput, ProvisionUserInput } from '../../schema/workflow-inputs';

const NOT_STARTED = 'simulated (not started)';

export type HandedWork =
  | { workflow: 'deleteUser'; input: Pick<DeleteUserInput, 'userOid' | 'channel'> }
  | { workflow: 'provisionUser'; input: ProvisionUserInput }
  | { workflow: 'provisionRole'; input: ProvisionRoleInput };

export function simulatedWorkflows(real: WorkflowStarter, handed: HandedWork[]): WorkflowStarter {
  const queue = async (work: HandedWork) => {
    handed.push(work);
    return NOT_STARTED;
  };
  return {
    requestUserProvisioning: (input) => queue({ workflow: 'provisionUser', input }),
    requestRoleProvisioning: (input) => queue({ workflow: 'provisionRole', input }),
    requestUserDeletion: (input) => queue({ workflow: 'deleteUser', input }),
    requestActivationTimer: async () => NOT_STARTED,
    requestAccountProvisioning: async () => NOT_STARTED,
    reportChange: async () => NOT_STARTED,
    requestResourceRun: async () => ({ workflowId: NOT_STARTED, started: false }),
    isWorkflowOpen: (workflowId) => real.isWorkflowOpen(workflowId),
  };
}
