/**
 * Starting or feeding Tally's workflows from outside workflow code (activities, CLI, API):
 * signalWithStart on deterministic ids, so concurrent requests for one object meet in one workflow.
 */
import type { Client } from '@temporalio/client';
import type { ProcessChangeInput, ProvisionAccountInput, ProvisionUserInput } from '../schema/workflow-inputs';
import { searchAttributes, signals, workflowIds } from '../workflows/workflow-ids';
import { changeObjectKey } from '../workflows/change-key';

export interface StartOptions {
  client: Client;
  taskQueue: string;
}

export async function requestUserProvisioning({ client, taskQueue }: StartOptions, input: ProvisionUserInput) {
  return client.workflow.signalWithStart('provisionUser', {
    workflowId: workflowIds.provisionUser(input.userOid),
    taskQueue,
    args: [input],
    signal: signals.recompute,
    signalArgs: [input],
    searchAttributes: { [searchAttributes.user]: [input.userOid], [searchAttributes.state]: ['running'] },
  });
}

export async function requestAccountProvisioning({ client, taskQueue }: StartOptions, input: ProvisionAccountInput) {
  return client.workflow.signalWithStart('provisionAccount', {
    workflowId: workflowIds.provisionAccount(input.shadowOid),
    taskQueue,
    args: [input],
    signal: signals.wake,
    signalArgs: [],
    searchAttributes: {
      [searchAttributes.shadow]: [input.shadowOid],
      ...(input.resourceOid ? { [searchAttributes.resource]: [input.resourceOid] } : {}),
      [searchAttributes.state]: ['running'],
    },
  });
}

export async function reportChange({ client, taskQueue }: StartOptions, change: ProcessChangeInput) {
  return client.workflow.signalWithStart('processChange', {
    workflowId: workflowIds.processChange(change.resourceRef, changeObjectKey(change)),
    taskQueue,
    args: [change],
    signal: signals.change,
    signalArgs: [change],
    searchAttributes: { [searchAttributes.resource]: [change.resourceRef], [searchAttributes.state]: ['running'] },
  });
}
