/**
 * Starting or feeding Tally's workflows from outside workflow code (activities, CLI, API):
 * signalWithStart on deterministic ids, so concurrent requests for one object meet in one workflow.
 */
import type { Client } from '@temporalio/client';
import type { WorkflowStarter } from '../provisioning/workflow-starter';
import { searchAttributes, signals, workflowIds } from '../workflows/workflow-ids';
import { changeObjectKey } from '../workflows/change-key';

export interface StartOptions {
  client: Client;
  taskQueue: string;
}

export function createWorkflowStarter({ client, taskQueue }: StartOptions): WorkflowStarter {
  return {
    async requestUserProvisioning(input) {
      const handle = await client.workflow.signalWithStart('provisionUser', {
        workflowId: workflowIds.provisionUser(input.userOid),
        taskQueue,
        args: [input],
        signal: signals.recompute,
        signalArgs: [input],
        typedSearchAttributes: [
          { key: searchAttributes.user, value: input.userOid },
          { key: searchAttributes.state, value: 'running' },
        ],
      });
      return handle.workflowId;
    },
    async requestAccountProvisioning(input) {
      const handle = await client.workflow.signalWithStart('provisionAccount', {
        workflowId: workflowIds.provisionAccount(input.shadowOid),
        taskQueue,
        args: [input],
        signal: signals.wake,
        signalArgs: [],
        typedSearchAttributes: [
          { key: searchAttributes.shadow, value: input.shadowOid },
          ...(input.resourceOid ? [{ key: searchAttributes.resource, value: input.resourceOid }] : []),
          { key: searchAttributes.state, value: 'running' },
        ],
      });
      return handle.workflowId;
    },
    async reportChange(change) {
      const handle = await client.workflow.signalWithStart('processChange', {
        workflowId: workflowIds.processChange(change.resourceRef, changeObjectKey(change)),
        taskQueue,
        args: [change],
        signal: signals.change,
        signalArgs: [change],
        typedSearchAttributes: [
          { key: searchAttributes.resource, value: change.resourceRef },
          { key: searchAttributes.state, value: 'running' },
        ],
      });
      return handle.workflowId;
    },
  };
}
