/**
 * The port through which the synchronization routine and provisioning hand work to Tally's workflows
 * (implemented over the Temporal client in `client/`, handed to activities at start).
 */
import type { SafetyOverride, ActivationTimerInput, DeleteUserInput, ProcessChangeInput, ProvisionAccountInput, ProvisionRoleInput, ProvisionUserInput, RunType } from '../schema/workflow-inputs';

export interface ResourceRunRequest {
  type: RunType;
  resourceOid: string;
  pageSize?: number;
  buckets?: number;
  /** This run's thresholds over the resource's. */
  safety?: SafetyOverride;
}

export interface WorkflowStarter {
  /** Starts or feeds `provisionUser` for the user; returns its workflow id. */
  requestUserProvisioning(input: ProvisionUserInput): Promise<string>;
  /** Starts or feeds `provisionRole` for the role's own projection (its group); returns its workflow id. */
  requestRoleProvisioning(input: ProvisionRoleInput): Promise<string>;
  /** Starts `activationTimer` for the user, or moves its running timer to `at`; returns its workflow id. */
  requestActivationTimer(input: ActivationTimerInput): Promise<string>;
  /** Starts `deleteUser` for the user, or joins the one running; returns its workflow id. */
  requestUserDeletion(input: Pick<DeleteUserInput, 'userOid' | 'channel'>): Promise<string>;
  /** Starts or wakes `provisionAccount` for the shadow; returns its workflow id. */
  requestAccountProvisioning(input: ProvisionAccountInput): Promise<string>;
  /**
   * Starts or feeds `processChange` for the resource object (or the one `workflowId` names: the workflow
   * holding an earlier change of the object); returns its workflow id.
   */
  reportChange(change: ProcessChangeInput, workflowId?: string): Promise<string>;
  /**
   * Starts a reconciliation or import of the resource under its usual id; `started` is false when that
   * workflow runs already (the caller joins it).
   */
  requestResourceRun(input: ResourceRunRequest): Promise<{ workflowId: string; started: boolean }>;
  /** Whether the workflow with this id is still running (a run that continued as new still is). */
  isWorkflowOpen(workflowId: string): Promise<boolean>;
}
