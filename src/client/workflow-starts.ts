/**
 * Starting or feeding Tally's workflows from outside workflow code (activities, CLI, API):
 * signalWithStart on deterministic ids, so concurrent requests for one object meet in one workflow.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SearchAttributePair, SignalDefinition } from '@temporalio/common';
import type { WorkflowStarter } from '../provisioning/workflow-starter';
import { searchAttributes, signals, workflowIds } from '../workflows/workflow-ids';
import { changeObjectKey } from '../schema/change-key';

export interface StartOptions {
  client: Client;
  taskQueue: string;
}

export function createWorkflowStarter({ client, taskQueue }: StartOptions): WorkflowStarter {
  /** Starts the workflow with `input` unless it runs; either way delivers the signal. Returns its id. */
  const signalWithStart = async <A extends unknown[]>(
    workflowType: string,
    workflowId: string,
    input: unknown,
    signal: SignalDefinition<A>,
    signalArgs: A,
    attributes: SearchAttributePair[],
  ): Promise<string> => {
    const handle = await client.workflow.signalWithStart(workflowType, {
      workflowId,
      taskQueue,
      args: [input],
      signal,
      signalArgs,
      typedSearchAttributes: [...attributes, { key: searchAttributes.state, value: 'running' }],
      // The signal's arguments are typed by each caller below; the SDK's conditional type can't follow a generic.
    } as Parameters<Client['workflow']['signalWithStart']>[1]);
    return handle.workflowId;
  };
  return {
    requestUserProvisioning: (input) =>
      signalWithStart('provisionUser', workflowIds.provisionUser(input.userOid), input, signals.recompute, [input], [{ key: searchAttributes.user, value: input.userOid }]),
    requestRoleProvisioning: (input) => signalWithStart('provisionRole', workflowIds.provisionRole(input.roleOid), input, signals.recomputeRole, [input], []),
    requestActivationTimer: (input) =>
      signalWithStart('activationTimer', workflowIds.activationTimer(input.userOid), input, signals.rearm, [input], [{ key: searchAttributes.user, value: input.userOid }]),
    async requestUserDeletion({ userOid, channel }) {
      const workflowId = workflowIds.deleteUser(userOid);
      try {
        await client.workflow.start('deleteUser', {
          taskQueue,
          workflowId,
          args: [{ userOid, channel }],
          typedSearchAttributes: [
            { key: searchAttributes.user, value: userOid },
            { key: searchAttributes.state, value: 'running' },
          ],
        });
      } catch (e) {
        // Asked a moment ago: this request joins that deletion.
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
      }
      return workflowId;
    },
    requestAccountProvisioning: (input) =>
      signalWithStart('provisionAccount', workflowIds.provisionAccount(input.shadowOid), input, signals.wake, [], [
        { key: searchAttributes.shadow, value: input.shadowOid },
        ...(input.resourceOid ? [{ key: searchAttributes.resource, value: input.resourceOid }] : []),
      ]),
    reportChange: (change, workflowId = workflowIds.processChange(change.resourceRef, changeObjectKey(change))) =>
      signalWithStart('processChange', workflowId, change, signals.change, [change], [
        { key: searchAttributes.resource, value: change.resourceRef },
      ]),
    async requestResourceRun({ type, resourceOid, pageSize, buckets, safety }) {
      const workflowId = workflowIds.resourceRun(type, resourceOid);
      try {
        await client.workflow.start(type === 'recon' ? 'reconcileResource' : 'importFromResource', {
          taskQueue,
          workflowId,
          args: [{ resource: resourceOid, ...(pageSize ? { pageSize } : {}), ...(buckets ? { buckets } : {}), ...(safety ? { safety } : {}) }],
          typedSearchAttributes: [
            { key: searchAttributes.resource, value: resourceOid },
            { key: searchAttributes.state, value: 'running' },
          ],
        });
        return { workflowId, started: true };
      } catch (e) {
        // Started a moment ago by someone else.
        if (!(e instanceof WorkflowExecutionAlreadyStartedError)) throw e;
        return { workflowId, started: false };
      }
    },
    async isWorkflowOpen(workflowId) {
      try {
        return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
      } catch (e) {
        if (e instanceof WorkflowNotFoundError) return false;
        throw e;
      }
    },
  };
}
