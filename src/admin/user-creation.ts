/**
 * `tally user create`, `POST /api/v1/users`: a new user with properties and role assignments, stored,
 * then recomputed by his provisionUser workflow (template, roles, accounts).
 */
import { randomUUID } from 'node:crypto';
import type { Assignment, Channel } from '../schema/config';
import type { UserDoc } from '../schema/objects';
import { issueList, userCreationSchema } from '../schema/api';
import { isDuplicateKeyError } from '../repository/errors';
import type { Services } from '../runtime/services';
import { workflowIds } from '../workflows/workflow-ids';
import { projectionDueAfter } from '../sync/user-changes';
import { presentUser } from './inspect';
import { applyProperties, parseUserProperties, resolveAssignment, storedPropertyChanges, UserCommandError, type UserCommandResult } from './user-commands';

/** The name is taken by another user. */
export class UserExistsError extends Error {
  override readonly name = 'UserExistsError';
}

export async function createUser(services: Services, body: unknown, channel: Channel, separator = '.'): Promise<UserCommandResult> {
  const parsed = userCreationSchema.safeParse(body);
  if (!parsed.success) {
    const problems = issueList(parsed.error, separator);
    throw new UserCommandError('invalid', `invalid user: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
  }
  const { name, assign, properties } = parsed.data;
  // As `tally user set` stores them: the template by its oid, the password sealed.
  const { changes, password } = await storedPropertyChanges(services, properties ? parseUserProperties(properties, separator) : {});
  const assignments: Assignment[] = [];
  for (const role of assign ?? []) {
    const resolved = await resolveAssignment(services.repo, { role });
    if (!assignments.some((a) => a.targetRef === resolved.targetRef)) assignments.push(resolved);
  }
  const now = new Date().toISOString();
  const user: UserDoc = applyProperties(
    {
      oid: randomUUID(),
      name,
      assignment: assignments,
      linkRef: [],
      projectionDue: projectionDueAfter(undefined, undefined, now),
      version: 1,
      metadata: { createTimestamp: now, modifyTimestamp: now, createChannel: channel, modifyChannel: channel },
    },
    changes,
    password,
  );
  try {
    await services.repo.users.insert(user);
  } catch (e) {
    if (isDuplicateKeyError(e)) throw new UserExistsError(`a user named '${name}' exists already`);
    throw e;
  }
  await services.workflows.requestUserProvisioning({ userOid: user.oid, channel, requestId: randomUUID() });
  return {
    user: presentUser((await services.repo.users.get(user.oid)) ?? user),
    changedPaths: Object.keys(user).filter((k) => !['oid', 'version', 'metadata', 'linkRef'].includes(k)),
    provisioningWorkflowId: workflowIds.provisionUser(user.oid),
  };
}
