/** The inbound phase: account attribute values flow into the owner's properties by inbound mappings. */
import type { Channel } from '../schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { applyUserDeltas, computeInbound, requireObjectType } from '../model';
import { changeUser } from './user-changes';
import { nowOf, type SyncDeps } from './sync-deps';
import { resourceOf } from '../provisioning';
import type { AuditRecord } from '../repository/audit-store';

export async function applyInbound(
  deps: SyncDeps,
  input: {
    resourceOid: string;
    shadowOid: string;
    ownerOid: string;
    object: ResourceObject;
    changedAttributes?: string[];
    channel: Channel;
    workflowId?: string;
    /** The caller's copies of the shadow and the owner, which save reading them again. */
    shadow?: ShadowDoc | null;
    owner?: UserDoc | null;
  },
): Promise<{ changedUserPaths: string[]; user: UserDoc }> {
  const resource = await resourceOf(deps, input.resourceOid);
  const shadow = input.shadow ?? (await deps.repo.shadows.get(input.shadowOid));
  const objectType = requireObjectType(resource, shadow?.kind, shadow?.intent);
  const now = nowOf(deps);
  const result = await changeUser(deps.repo, input.ownerOid, input.channel, now, (user) =>
    applyUserDeltas(user, computeInbound({ objectType, account: input.object, user, changedAttributes: input.changedAttributes })),
    input.owner ?? undefined,
  );
  if (!result) throw new Error(`user ${input.ownerOid} no longer exists`);
  if (result.changedPaths.length > 0) await deps.repo.audit.write([inboundAudit(result.after, result.changedPaths, { ...input, now })]);
  return { changedUserPaths: result.changedPaths, user: result.after };
}

/** The audit record of what inbound mappings changed on a user. */
export function inboundAudit(
  user: UserDoc,
  changedPaths: readonly string[],
  meta: { now: string; channel: Channel; resourceOid: string; object: Pick<ResourceObject, 'secondaryIdentifier'>; workflowId?: string },
): AuditRecord {
  return {
    timestamp: meta.now,
    channel: meta.channel,
    objectType: 'user',
    objectOid: user.oid,
    resourceRef: meta.resourceOid,
    delta: Object.fromEntries(changedPaths.map((p) => [p, (user as unknown as Record<string, unknown>)[p.split('/')[0]]])),
    workflowId: meta.workflowId,
    message: `inbound from ${meta.object.secondaryIdentifier}`,
  };
}
