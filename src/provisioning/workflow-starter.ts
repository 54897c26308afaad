/**
 * The port through which the synchronization routine and provisioning hand work to Tally's workflows
 * (implemented over the Temporal client in `client/`, handed to activities at start).
 */
import type { ProcessChangeInput, ProvisionAccountInput, ProvisionUserInput } from '../schema/workflow-inputs';

export interface WorkflowStarter {
  /** Starts or feeds `provisionUser` for the user; returns its workflow id. */
  requestUserProvisioning(input: ProvisionUserInput): Promise<string>;
  /** Starts or wakes `provisionAccount` for the shadow; returns its workflow id. */
  requestAccountProvisioning(input: ProvisionAccountInput): Promise<string>;
  /** Starts or feeds `processChange` for the resource object; returns its workflow id. */
  reportChange(change: ProcessChangeInput): Promise<string>;
  /** Starts a reconciliation of the resource unless one runs; returns its workflow id. */
  requestReconciliation(resourceOid: string): Promise<string>;
  /** Whether the workflow with this id is still running (a run that continued as new still is). */
  isWorkflowOpen(workflowId: string): Promise<boolean>;
}
