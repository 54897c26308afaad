/**
 * `tally role delete`: a role is deleted as midPoint deletes a focus, through its own projection: its
 * entitlements (the group it is projected to) are deprovisioned by the provisionRole workflow, then the role
 * is removed. A role still assigned is refused, unless its holders are to be unassigned first (their
 * accounts lose what the role gave them, as `tally user unassign` does).
 */
import type { Channel } from '../schema/config';
import type { Services } from '../runtime/services';
import type { ProvisionRoleResult } from '../workflows/provision-role';
import { unassignFromUser, UserCommandError } from './user-commands';
import { WaitTimeoutError, waitForWorkflowResult } from './workflow-wait';

export interface RoleDeletion {
  roleOid: string;
  name: string;
  workflowId: string;
  /** Users the role was taken from first (`unassign`). */
  unassigned: string[];
  /** With `wait`: whether the role is gone, and what happened to its entitlements. */
  outcome?: { deleted: boolean; entitlements: string[] };
  /** Set when the wait was given up: what the deletion waits for (it goes on). */
  waiting?: string;
}

/** Most holders named in a refusal. */
const NAMED_HOLDERS = 5;

export async function deleteRole(
  services: Services,
  ref: string,
  channel: Channel,
  options: { unassign?: boolean; wait?: boolean; timeoutMs?: number; onWaiting?: (details: string) => void } = {},
): Promise<RoleDeletion> {
  const role = await services.repo.config.role(ref);
  if (!role) throw new UserCommandError('not-found', `no role '${ref}'`);
  const holders = (await services.repo.users.assignedTo(role.oid, options.unassign ? 100_000 : NAMED_HOLDERS + 1)).map((u) => u.name);
  if (holders.length > 0 && !options.unassign) {
    const named = holders.slice(0, NAMED_HOLDERS).join(', ') + (holders.length > NAMED_HOLDERS ? ', ...' : '');
    throw new UserCommandError('invalid', `role '${role.name}' is assigned to ${named}: unassign it first, or delete it with --unassign`);
  }
  for (const holder of holders) await unassignFromUser(services, holder, { role: role.oid }, channel);
  if (!(await services.repo.config.markRoleForDeletion(role.oid, new Date().toISOString()))) throw new UserCommandError('not-found', `no role '${ref}'`);
  const workflowId = await services.workflows.requestRoleProvisioning({ roleOid: role.oid, channel });
  const started: RoleDeletion = { roleOid: role.oid, name: role.name, workflowId, unassigned: holders };
  if (!options.wait) return started;
  try {
    const result = await waitForWorkflowResult<ProvisionRoleResult>(services.client, workflowId, { timeoutMs: options.timeoutMs, onWaiting: options.onWaiting ?? (() => undefined) });
    return { ...started, outcome: { deleted: !!result.deleted, entitlements: result.entitlements } };
  } catch (e) {
    if (!(e instanceof WaitTimeoutError)) throw e;
    return { ...started, waiting: e.message };
  }
}
