/**
 * Live sync's bulk path for modifications. A poll's changes to accounts that are linked and settled go
 * through the routine's steps stage by stage, each stage one request for all of them: their shadows, the
 * objects, their owners, the owners' other accounts; inbound and projection in memory; the
 * users written in one write (each marked due for provisioning, under its version), the shadows' cached
 * values and the claimed account operations in one, the operations executed in bulk per resource, audit
 * in one insert, the marks removed in one. A change whose case is unusual (a new, unlinked, renamed,
 * protected or deleted account, work waiting on the user or his accounts, a lost race, a mapping that fails)
 * is left to the one-object routine, which does the same and handles what this path doesn't.
 */
import type { AuditRecord } from '../../repository/audit-store';
import type { VersionedUpdate } from '../../repository/versioned';
import type { Channel, ObjectTypeDefinition } from '../../schema/config';
import type { ProjectionDue, ResourceChange, ResourceObject, ShadowDoc, UserDoc } from '../../schema/objects';
import { applyUserDeltas, computeInbound, findObjectType, isProtected, project, reactionFor, templateFor, type AccountPlan } from '../../model';
import { executeClaimedInBulk, fetchResourceObjects, readAccounts, resourceOf, roleEntitlementsOf, sameAttributes, withClaimedOperation, type AccountResult } from '../../provisioning';
import type { StoredResource } from '../../repository/repository';
import { inboundAudit } from '../inbound';
import { templateAudit } from '../projection';
import { changeApplied, enforcedValuesTouched, type ChangeOutcome } from '../synchronize-change';
import { changedUserPaths, projectionDueAfter, userPatch } from '../user-changes';
import { armValidityTimer } from '../validity-timer';
import { nowOf, type SyncDeps } from '../sync-deps';

export interface BulkResult {
  /** The changes applied here, with what each did. */
  applied: Array<{ change: ResourceChange; outcome: ChangeOutcome }>;
  /** The changes left to the one-object routine. */
  rest: ResourceChange[];
}

/** One change on its way through the stages. */
interface Candidate {
  change: ResourceChange;
  shadow: ShadowDoc;
  objectType: ObjectTypeDefinition;
  object: ResourceObject;
  owner: UserDoc;
  /** The owner's other live accounts' shadows. */
  others: ShadowDoc[];
  /** The user as inbound, the template and roles' focus mappings leave him, and the paths they changed. */
  user: UserDoc;
  changedPaths: string[];
  inboundPaths: string[];
  templateDeltas: ReturnType<typeof project>['userDeltas'];
  plans: AccountPlan[];
  /** The provisioning mark written on the user (absent: the user is not written). */
  due?: ProjectionDue;
}

export async function synchronizeModificationsInBulk(deps: SyncDeps, changes: readonly ResourceChange[], workflowId?: string): Promise<BulkResult> {
  const first = changes[0];
  // One resource and one channel (a poll's changelog changes, or one service's events) in a slice.
  const eligible = new Set(changes.filter((c) => c.changeType === 'modify' && c.primaryIdentifier && !c.currentObject && c.resourceRef === first?.resourceRef && c.channel === first.channel));
  if (eligible.size < 2) return { applied: [], rest: [...changes] };
  const rest = changes.filter((c) => !eligible.has(c));
  const resource = await resourceOf(deps, first.resourceRef);
  const { channel } = first;
  const now = nowOf(deps);

  const observed = await observeInBulk(deps, resource, [...eligible], rest);
  const candidates = await withOwners(deps, observed, rest);
  const computed = await computeInBulk(deps, candidates, rest, now);
  const written = await writeUsers(deps, computed, rest, { channel, now, workflowId });
  const { applied, claimed } = await writeShadows(deps, written, rest, { channel, now, workflowId });
  const results = await executeClaimedInBulk(deps, claimed, workflowId);
  await deps.repo.users.clearProjectionDues(applied.flatMap((c) => (c.due ? [{ oid: c.owner.oid, token: c.due.token }] : [])));
  const byShadow = new Map<string, AccountResult>(results.map((r) => [r.shadowOid, r]));
  return {
    applied: applied.map((c) => ({ change: c.change, outcome: changeApplied(outcomeOf(resource, c, byShadow), c.change, workflowId) })),
    rest,
  };
}

/** Stage 1: the changes' shadows (one read) and objects (one request where the connector can); those not linked and settled go to `rest`. */
async function observeInBulk(deps: SyncDeps, resource: StoredResource, changes: readonly ResourceChange[], rest: ResourceChange[]) {
  const shadows = new Map((await deps.repo.shadows.byPrimaryIdentifiers(resource.oid, changes.map((c) => c.primaryIdentifier!))).map((s) => [s.primaryIdentifier!, s]));
  const settled = changes.flatMap((change) => {
    const shadow = shadows.get(change.primaryIdentifier!);
    const objectType = shadow && findObjectType(resource, shadow.kind, shadow.intent);
    const linked =
      shadow?.kind === 'account' &&
      shadow.ownerRef &&
      shadow.situation === 'linked' &&
      shadow.exists &&
      !shadow.dead &&
      shadow.pendingOperations.length === 0 &&
      !shadow.protectedObject &&
      shadow.deprovisionedAt === undefined &&
      objectType &&
      synchronizesOnly(resource, objectType, change.channel);
    if (!linked) rest.push(change);
    return linked ? [{ change, shadow: shadow!, objectType: objectType! }] : [];
  });
  const observed: Array<(typeof settled)[number] & { object: ResourceObject }> = [];
  const objects = await fetchResourceObjects(deps, resource.oid, settled.map((s) => s.shadow.primaryIdentifier!)).catch(() => new Map<string, ResourceObject>());
  for (const s of settled) {
    // Whatever the read says other than the object as it was (gone, renamed, unreachable) the routine handles.
    const object = objects.get(s.shadow.primaryIdentifier!);
    if (object && object.secondaryIdentifier === s.shadow.secondaryIdentifier && !isProtected(s.objectType, object)) observed.push({ ...s, object });
    else rest.push(s.change);
  }
  return observed;
}

/** Whether the reaction to a linked account's change is to synchronize it and nothing else. */
function synchronizesOnly(resource: StoredResource, objectType: ObjectTypeDefinition, channel: Channel): boolean {
  const policies = resource.synchronization.filter((p) => p.kind === objectType.kind && p.intent === objectType.intent);
  const reaction = reactionFor(policies, { kind: objectType.kind, intent: objectType.intent, situation: 'linked', channel });
  return !!reaction?.synchronize && reaction.actions.every((a) => a.handler === 'synchronize');
}

/** Stage 2: the owners (one read) and their other accounts' shadows (one read); one change per owner. */
async function withOwners(deps: SyncDeps, observed: Awaited<ReturnType<typeof observeInBulk>>, rest: ResourceChange[]) {
  const owners = new Map((await deps.repo.users.byOids([...new Set(observed.map((o) => o.shadow.ownerRef!))])).map((u) => [u.oid, u]));
  const taken = new Set<string>();
  const withOwner = observed.flatMap((o) => {
    const owner = owners.get(o.shadow.ownerRef!);
    const usual = owner && owner.linkRef.includes(o.shadow.oid) && !owner.deletion && !owner.projectionDue && !taken.has(owner.oid);
    if (!usual) {
      rest.push(o.change);
      return [];
    }
    taken.add(owner.oid);
    return [{ ...o, owner }];
  });
  const linked = new Map((await deps.repo.shadows.byOids(withOwner.flatMap((o) => o.owner.linkRef.filter((oid) => oid !== o.shadow.oid)))).map((s) => [s.oid, s]));
  return withOwner.flatMap((o) => {
    const others = o.owner.linkRef.flatMap((oid) => {
      const s = linked.get(oid);
      return s && s.ownerRef === o.owner.oid && !s.dead ? [s] : [];
    });
    if (others.some((s) => s.pendingOperations.length > 0)) {
      rest.push(o.change);
      return [];
    }
    return [{ ...o, others }];
  });
}

/** Stage 3: inbound, then (with the other accounts read, a request per resource) the projection, in memory. */
async function computeInBulk(deps: SyncDeps, found: Awaited<ReturnType<typeof withOwners>>, rest: ResourceChange[], now: string): Promise<Candidate[]> {
  const inbound = [];
  for (const f of found) {
    try {
      const afterInbound = applyUserDeltas(
        f.owner,
        computeInbound({ objectType: f.objectType, account: f.object, user: f.owner, changedAttributes: f.change.attributeDeltas?.map((d) => d.path) }),
      );
      const inboundPaths = changedUserPaths(f.owner, afterInbound);
      const provision = inboundPaths.length > 0 || (await enforcedValuesTouched(deps, f.change, f.shadow, f.owner));
      inbound.push({ ...f, afterInbound, inboundPaths, provision });
    } catch {
      rest.push(f.change); // the routine meets the same error and records it for this change
    }
  }
  const current = await readAccounts(deps, inbound.filter((i) => i.provision).flatMap((i) => i.others));
  const { roles, resources, objectTemplates } = await deps.repo.config.recentSnapshot();
  const roleEntitlements = inbound.some((i) => i.provision) ? await roleEntitlementsOf(deps, roles) : {};
  return inbound.flatMap((i): Candidate[] => {
    const shadow = { ...i.shadow, attributes: i.object.attributes };
    const base = { ...i, user: i.afterInbound, changedPaths: i.inboundPaths, templateDeltas: [], plans: [] };
    if (!i.provision) return [base];
    try {
      const projection = project({
        user: i.afterInbound,
        changedUserPaths: i.inboundPaths,
        template: templateFor(i.afterInbound, objectTemplates),
        roles,
        resources,
        accounts: [{ shadow, current: i.object }, ...i.others.map((s) => ({ shadow: s, current: current.get(s.oid) ?? null }))],
        now,
        roleEntitlements,
      });
      const plans = projection.accounts.filter((p) => p.action !== 'keep' || p.deprovisioning);
      // Adds, deletes, renames and deprovisioning are the routine's.
      if (!plans.every((p) => p.action === 'modify' && p.shadowOid && p.secondaryIdentifier === undefined && !p.deprovisioning)) {
        rest.push(i.change);
        return [];
      }
      const user = { ...projection.user, linkRef: i.owner.linkRef, version: i.owner.version };
      return [{ ...base, user, changedPaths: changedUserPaths(i.owner, user), templateDeltas: projection.userDeltas, plans: plans.filter((p) => (p.deltas?.length ?? 0) > 0) }];
    } catch {
      rest.push(i.change);
      return [];
    }
  });
}

/** Stage 4: the users that changed, in one write, each marked due for provisioning under his version; audit in one insert. */
async function writeUsers(deps: SyncDeps, candidates: Candidate[], rest: ResourceChange[], meta: { channel: Channel; now: string; workflowId?: string }): Promise<Candidate[]> {
  const writing = candidates.filter((c) => c.changedPaths.length > 0);
  for (const c of writing) c.due = projectionDueAfter(undefined, c.inboundPaths, meta.now);
  const updates: VersionedUpdate[] = writing.map((c) => ({
    oid: c.owner.oid,
    expectedVersion: c.owner.version,
    patch: userPatch(c.user, c.changedPaths, { ...meta, projectionDue: c.due }),
  }));
  const matched = await deps.repo.users.updateMany(updates);
  let lost = new Set<Candidate>();
  if (matched < updates.length) {
    // Somebody else wrote some of these users first: a user holding this write's mark is written.
    const marks = new Map((await deps.repo.users.byOids(writing.map((c) => c.owner.oid))).map((u) => [u.oid, u.projectionDue?.token]));
    lost = new Set(writing.filter((c) => marks.get(c.owner.oid) !== c.due!.token));
    for (const c of lost) rest.push(c.change);
  }
  const kept = candidates.filter((c) => !lost.has(c));
  const audit: AuditRecord[] = kept.flatMap((c) => [
    ...(c.inboundPaths.length > 0 ? [inboundAudit(c.user, c.inboundPaths, { ...meta, resourceOid: c.shadow.resourceRef, object: c.object })] : []),
    ...(c.templateDeltas.length > 0 ? [templateAudit(c.owner.oid, c.templateDeltas, meta)] : []),
  ]);
  if (audit.length > 0) await deps.repo.audit.write(audit);
  for (const c of kept) if (c.changedPaths.length > 0) await armValidityTimer(deps, c.user, meta.now);
  return kept;
}

/**
 * Stage 5: each changed account's cached values and each planned operation (claimed by this executor) on
 * its shadow, in one write under the shadows' versions. Returns the candidates applied here, and the
 * shadows whose operations were claimed.
 */
async function writeShadows(
  deps: SyncDeps,
  candidates: Candidate[],
  rest: ResourceChange[],
  meta: { channel: Channel; now: string; workflowId?: string },
): Promise<{ applied: Candidate[]; claimed: ShadowDoc[] }> {
  const metadata = { 'metadata.modifyTimestamp': meta.now, 'metadata.modifyChannel': meta.channel };
  const writes = new Map<string, { candidate: Candidate; before: ShadowDoc; after: ShadowDoc }>();
  for (const c of candidates) {
    if (!sameAttributes(c.shadow.attributes, c.object.attributes)) writes.set(c.shadow.oid, { candidate: c, before: c.shadow, after: { ...c.shadow, attributes: c.object.attributes } });
    for (const plan of c.plans) {
      const before = plan.shadowOid === c.shadow.oid ? c.shadow : c.others.find((s) => s.oid === plan.shadowOid)!;
      const after = writes.get(before.oid)?.after ?? before;
      writes.set(before.oid, { candidate: c, before, after: withClaimedOperation(after, { type: 'modify', delta: plan.deltas! }, meta) });
    }
  }
  const updates: VersionedUpdate[] = [...writes.values()].map(({ before, after }) => ({
    oid: before.oid,
    expectedVersion: before.version,
    patch: { set: { ...(after.attributes !== before.attributes ? { attributes: after.attributes } : {}), ...(after.pendingOperations.length > 0 ? { pendingOperations: after.pendingOperations } : {}), ...metadata } },
  }));
  const matched = await deps.repo.shadows.updateMany(updates);
  let written = (_: ShadowDoc) => true;
  if (matched < updates.length) {
    // Somebody else wrote some of these shadows first: a shadow holding this write's operation (or values) is written.
    const stored = new Map((await deps.repo.shadows.byOids([...writes.keys()])).map((s) => [s.oid, s]));
    written = (after) => {
      const now = stored.get(after.oid);
      const op = after.pendingOperations[0];
      return !!now && (op ? now.pendingOperations[0]?.id === op.id : now.version === after.version + 1 && sameAttributes(now.attributes, after.attributes));
    };
  }
  const applied = new Set(candidates);
  const claimed: ShadowDoc[] = [];
  for (const { candidate, after } of writes.values()) {
    if (!written(after)) {
      // The routine does this change again; operations claimed for it here are executed all the same.
      if (applied.delete(candidate)) rest.push(candidate.change);
    } else if (after.pendingOperations.length > 0) claimed.push({ ...after, version: after.version + 1 });
  }
  return { applied: [...applied], claimed };
}

function outcomeOf(resource: StoredResource, c: Candidate, results: ReadonlyMap<string, AccountResult>): ChangeOutcome {
  const accounts = c.plans.flatMap((p) => (results.has(p.shadowOid!) ? [results.get(p.shadowOid!)!] : []));
  return {
    account: c.object.secondaryIdentifier,
    resource: resource.name,
    found: true,
    shadowOid: c.shadow.oid,
    situation: 'linked',
    ownerOid: c.owner.oid,
    actions: [],
    changedUserPaths: c.inboundPaths,
    accounts: accounts.map((a) => a.summary),
    handedOver: accounts.filter((a) => a.state === 'handed-over').map((a) => a.shadowOid),
  };
}
