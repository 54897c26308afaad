/**
 * The short workflow inputs people type (names instead of oids) made into the long ones the workflows
 * work with. A name that names nothing fails the workflow at once, naming the field.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { ResourceChange } from '../schema/objects';
import { changeOfEvent, type ProcessChangeShortInput } from '../schema/workflow-inputs';
import type { SyncDeps } from '../sync/sync-deps';
import { failureTypes } from './failures';

const invalid = (workflowType: string, field: string, problem: string) =>
  ApplicationFailure.nonRetryable(`${workflowType}: invalid input: ${field}: ${problem}`, failureTypes.invalidInput);

export function createInputResolutionActivities(deps: Pick<SyncDeps, 'repo'>) {
  return {
    /** processChange `{ resource, account | primaryIdentifier, ... }` -> the change with the resource's oid. */
    async resolveChangeInput(input: ProcessChangeShortInput): Promise<ResourceChange> {
      const resource = await deps.repo.config.resource(input.resource);
      if (!resource) {
        const known = (await deps.repo.config.snapshot()).resources.map((r) => r.name).sort();
        throw invalid('processChange', 'resource', `no resource '${input.resource}' (resources: ${known.join(', ') || 'none'})`);
      }
      return changeOfEvent(resource.oid, input, input.channel);
    },
    /** provisionUser or deleteUser `{ user }` -> the user's oid. */
    async resolveUserInput(input: { user: string; workflowType?: string }): Promise<{ userOid: string }> {
      const user = await deps.repo.users.byRef(input.user);
      if (!user) throw invalid(input.workflowType ?? 'provisionUser', 'user', `no user '${input.user}'`);
      return { userOid: user.oid };
    },
  };
}
