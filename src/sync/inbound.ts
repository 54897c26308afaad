/** The inbound phase: account attribute values flow into the owner's properties by inbound mappings. */
import type { Channel } from '../schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { applyUserDeltas, computeInbound, requireObjectType } from '../model';
import { changeUser } from './user-changes';
import { nowOf, type SyncDeps } from './sync-deps';
import { resourceOf } from '../provisioning';

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
  if (result.changedPaths.length > 0) {
    await deps.repo.audit.write([
      {
        timestamp: now,
        channel: input.channel,
        objectType: 'user',
        objectOid: input.ownerOid,
        resourceRef: input.resourceOid,
        delta: Object.fromEntries(result.changedPaths.map((p) => [p, (result.after as unknown as Record<string, unknown>)[p.split('/')[0]]])),
        workflowId: input.workflowId,
        message: `inbound from ${input.object.secondaryIdentifier}`,
      },
    ]);
  }
  return { changedUserPaths: result.changedPaths, user: result.after };
}
