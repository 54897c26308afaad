/**
 * The bulk of a first import: accounts Tally never saw, that no user correlates to, on a resource whose
 * reaction to `unmatched` is addFocus alone. Their users (inbound mappings, then the object template) and
 * shadows are built in memory and stored in one write each; the accounts the new users' projection asks
 * for are stored as claimed operations on their new shadows in the same write, then executed in bulk.
 * An account that doesn't fit (a candidate owner, a name already taken, another reaction) is handed back
 * for the one-object routine.
 */
import type { Channel, ResourceConfig, SynchronizationPolicy } from '../../schema/config';
import type { AttributeDelta, ResourceObject, ShadowDoc, UserDoc } from '../../schema/objects';
import type { StoredResource } from '../../repository/repository';
import { kindsOf, type SimulatedAccountOperation } from '../../model';
import { confirmCandidates, correlationCondition, getUserValues, isModelError, isProtected, normalizeValue, project, reactionFor, requireObjectType, templateFor, type CorrelationCondition } from '../../model';
import { executeClaimedInBulk, newShadow, resourceOf, withClaimedOperation } from '../../provisioning';
import { newUserFromAccount } from '../focus-actions';
import { armValidityTimer } from '../validity-timer';
import { nowOf, type SyncDeps } from '../sync-deps';
import { count, objectError, type RunPieceResult, type RunScope } from './run-scope';
import type { ItemSink } from './simulated-run';
import { addedUser } from '../simulation/simulated-change';
import { modifyKind } from '../../provisioning';
import { redact } from '../../security/redact';
import { changesApplied } from '../../observability/metrics';

interface Built {
  object: ResourceObject;
  user: UserDoc;
  shadows: ShadowDoc[];
  /** The shadows whose first operation is claimed for execution here. */
  toExecute: ShadowDoc[];
}

export async function createUsersForNewAccounts(
  deps: SyncDeps,
  scope: RunScope,
  objects: readonly ResourceObject[],
  channel: Channel,
): Promise<{ rest: ResourceObject[]; result: RunPieceResult; items: ItemSink }> {
  const result: RunPieceResult = { stats: {}, errors: [] };
  const resource = await resourceOf(deps, scope.resourceOid);
  const objectType = requireObjectType(resource);
  const policies = resource.synchronization.filter((p) => p.kind === objectType.kind && p.intent === objectType.intent);
  const reaction = reactionFor(policies, { kind: objectType.kind, intent: objectType.intent, situation: 'unmatched', channel });
  // Protected accounts get their shadow from the one-object routine, and nothing else.
  const guarded = objects.filter((o) => isProtected(objectType, o));
  const open = guarded.length > 0 ? objects.filter((o) => !guarded.includes(o)) : objects;
  if (open.length === 0 || reaction?.actions.length !== 1 || reaction.actions[0].handler !== 'addFocus') return { rest: [...objects], result, items: [] };

  const { unmatched, rest } = await withoutCandidates(deps, resource, policies, open);
  rest.push(...guarded);
  const snapshot = await deps.repo.config.recentSnapshot();
  const now = nowOf(deps);
  const built: Built[] = [];
  const names = new Set<string>();
  for (const object of unmatched) {
    try {
      const user = newUserFromAccount({ resource, shadow: null, object, channel, templateRef: reaction.actions[0].objectTemplateRef, now, secretKey: deps.secretKey });
      if (names.has(user.name)) {
        rest.push(object); // two accounts of one user in a page: the routine links the second
        continue;
      }
      names.add(user.name);
      built.push(await buildAccounts(deps, resource, snapshot, object, user, { scope, channel, now }));
    } catch (e) {
      if (!isModelError(e)) throw e; // a mapping that can't be evaluated belongs to the object, not the page
      count(result.stats, 'errors');
      result.errors.push(objectError(object.secondaryIdentifier, e, now));
    }
  }

  if (scope.simulation) {
    // The plans as they are, recorded instead of stored and executed.
    count(result.stats, 'synchronized', built.length);
    count(result.stats, 'unmatched', built.length);
    return { rest, result, items: await Promise.all(built.map((b) => plannedItem(deps, resource, b))) };
  }
  // A threshold on modifications counts the new account's own modification: such accounts go the routine's way, where it is held.
  const modifying = scope.safety?.modifies != null ? built.filter((b) => b.toExecute.some((shadow) => shadow.pendingOperations[0]?.type === 'modify')) : [];
  if (modifying.length > 0) rest.push(...modifying.map((b) => b.object));
  const stored = await store(deps, modifying.length > 0 ? built.filter((b) => !modifying.includes(b)) : built, rest);
  if (stored.length > 0) {
    await deps.repo.audit.write(
      stored.map((b) => ({
        timestamp: now,
        channel,
        objectType: 'user' as const,
        objectOid: b.user.oid,
        resourceRef: resource.oid,
        delta: { add: { name: b.user.name } },
        workflowId: scope.workflowId,
        message: `addFocus from ${b.object.secondaryIdentifier}`,
      })),
    );
    await executeClaimedInBulk(deps, stored.flatMap((b) => b.toExecute), scope.workflowId);
    for (const b of stored) await armValidityTimer(deps, b.user, now);
  }
  count(result.stats, 'synchronized', stored.length);
  count(result.stats, 'unmatched', stored.length);
  changesApplied.inc({ resource: resource.name, situation: 'unmatched', channel }, stored.length);
  return { rest, result, items: [] };
}

/** What a new user's plans would do, as a simulation item. */
async function plannedItem(deps: SyncDeps, resource: StoredResource, b: Built): Promise<ItemSink[number]> {
  const accounts: SimulatedAccountOperation[] = [];
  for (const shadow of b.toExecute) {
    const operation = shadow.pendingOperations[0];
    const target = shadow.resourceRef === resource.oid ? resource : await resourceOf(deps, shadow.resourceRef);
    const at = { resource: target.name, resourceOid: target.oid };
    if (operation.type === 'add') accounts.push({ ...at, operation: 'add', account: shadow.secondaryIdentifier ?? '?', attributes: redact(operation.attributes ?? {}) });
    else if (operation.type === 'modify') {
      const deltas = (operation.delta ?? []) as AttributeDelta[];
      accounts.push({ ...at, operation: modifyKind(target, shadow, deltas), account: shadow.secondaryIdentifier ?? '?', deltas: redact(deltas) });
    }
  }
  const item = {
    object: b.object.secondaryIdentifier,
    resource: resource.name,
    situation: { from: 'unmatched', to: 'linked' },
    reaction: [`addFocus: user ${b.user.name} created`],
    users: [addedUser(b.user)],
    accounts,
  };
  return { ...item, kinds: kindsOf(item), key: `o/${b.object.primaryIdentifier}` };
}

/** Splits the objects into those no user correlates to and the rest, with one query for all when the correlation allows. */
async function withoutCandidates(
  deps: SyncDeps,
  resource: StoredResource,
  policies: SynchronizationPolicy[],
  objects: readonly ResourceObject[],
): Promise<{ unmatched: ResourceObject[]; rest: ResourceObject[] }> {
  const policy = policies.find((p) => p.correlation);
  if (!policy?.correlation) return { unmatched: [...objects], rest: [] };
  let conditions: CorrelationCondition[];
  try {
    const objectType = requireObjectType(resource);
    conditions = objects.map((o) => correlationCondition(policy.correlation!, o, { resourceName: resource.name, objectType }));
  } catch {
    return { unmatched: [], rest: [...objects] };
  }
  const equal = conditions.map((c) => ('equal' in c ? c.equal : null));
  const field = equal[0]?.field;
  const matchingRule = equal[0]?.matchingRule;
  if (!field || equal.some((e) => e?.field !== field || e.matchingRule !== matchingRule)) return { unmatched: [], rest: [...objects] };
  const values = [...new Set(equal.flatMap((e) => e!.values))];
  const users = values.length > 0 ? await deps.repo.users.matching({ equal: { field, values, ...(matchingRule ? { matchingRule } : {}) } }, values.length * 2 + 10) : [];
  const keyOf = (v: unknown) => String(normalizeValue(matchingRule, v));
  const byValue = new Map<string, UserDoc[]>();
  for (const user of users) {
    for (const v of getUserValues(user, field.split('.'))) byValue.set(keyOf(v), [...(byValue.get(keyOf(v)) ?? []), user]);
  }
  const unmatched: ResourceObject[] = [];
  const rest: ResourceObject[] = [];
  objects.forEach((object, i) => {
    const candidates = [...new Set(equal[i]!.values.flatMap((v) => byValue.get(keyOf(v)) ?? []))];
    const confirmed = candidates.length > 0 ? confirmCandidates(policy.confirmation, object, candidates, { resourceName: resource.name }) : [];
    (confirmed.length === 0 ? unmatched : rest).push(object);
  });
  return { unmatched, rest };
}

/** The new user, the account's shadow linked to it, and shadows (with their claimed add) for every account the projection asks for. */
async function buildAccounts(
  deps: SyncDeps,
  resource: StoredResource,
  snapshot: { objectTemplates: Parameters<typeof templateFor>[1]; roles: Parameters<typeof project>[0]['roles']; resources: Array<ResourceConfig & { oid: string }> },
  object: ResourceObject,
  user: UserDoc,
  meta: { scope: RunScope; channel: Channel; now: string },
): Promise<Built> {
  const { now, channel, scope } = meta;
  let source = newShadow({
    resourceRef: resource.oid,
    objectType: requireObjectType(resource),
    primaryIdentifier: object.primaryIdentifier,
    secondaryIdentifier: object.secondaryIdentifier,
    exists: true,
    ownerRef: user.oid,
    now,
    channel,
  });
  source.attributes = object.attributes;
  if (scope.type === 'recon') source.lastSeenRunId = scope.runId;
  const projection = project({ user, template: templateFor(user, snapshot.objectTemplates), roles: snapshot.roles, resources: snapshot.resources, accounts: [{ shadow: source, current: object }], now });
  const operationMeta = { now, channel, workflowId: scope.workflowId };
  const others: ShadowDoc[] = [];
  for (const plan of projection.accounts) {
    if (plan.action === 'keep') continue;
    if (plan.shadowOid === source.oid && plan.action === 'modify' && plan.deltas?.length) {
      source = withClaimedOperation(source, { type: 'modify', delta: plan.deltas }, operationMeta);
    } else if (plan.action === 'add') {
      const target = await resourceOf(deps, plan.resourceRef);
      const shadow = newShadow({
        resourceRef: plan.resourceRef,
        objectType: requireObjectType(target, plan.kind, plan.intent),
        primaryIdentifier: null,
        secondaryIdentifier: plan.secondaryIdentifier ?? null,
        exists: false,
        ownerRef: user.oid,
        now,
        channel: 'user',
      });
      others.push(withClaimedOperation(shadow, { type: 'add', attributes: plan.attributes ?? {} }, operationMeta));
    }
  }
  const shadows = [source, ...others];
  return {
    object,
    user: { ...projection.user, linkRef: shadows.map((s) => s.oid) },
    shadows,
    toExecute: shadows.filter((s) => s.pendingOperations.length > 0),
  };
}

/**
 * Users (without links), then their shadows, then the users' links, as a link is made one by one: cut
 * short after the users, an account has no shadow yet, so the next run correlates it to its user and
 * links it; cut short after the shadows, the next run finds the user's side missing and completes it.
 * What a unique index refuses (a name taken, a shadow created meanwhile) is undone and handed back to
 * the routine.
 */
async function store(deps: SyncDeps, built: Built[], rest: ResourceObject[]): Promise<Built[]> {
  const refusedUsers = await deps.repo.users.insertMany(built.map((b) => ({ ...b.user, linkRef: [] })));
  const withUser = built.filter((b) => !refusedUsers.has(b.user.oid));
  const refusedShadows = await deps.repo.shadows.insertMany(withUser.flatMap((b) => b.shadows));
  const undone = withUser.filter((b) => b.shadows.some((s) => refusedShadows.has(s.oid)));
  if (undone.length > 0) {
    await deps.repo.shadows.deleteMany(undone.flatMap((b) => b.shadows.filter((s) => !refusedShadows.has(s.oid)).map((s) => s.oid)));
    await deps.repo.users.deleteMany(undone.map((b) => b.user.oid));
  }
  rest.push(...built.filter((b) => refusedUsers.has(b.user.oid)).map((b) => b.object), ...undone.map((b) => b.object));
  const stored = withUser.filter((b) => !undone.includes(b));
  await deps.repo.users.linkShadows(stored.map((b) => ({ userOid: b.user.oid, shadowOids: b.user.linkRef })));
  return stored;
}
