/**
 * The projector: THE place where "what should be" is computed for one user.
 *
 * template mappings -> assignments and roles (role focus mappings run after the template) ->
 * which accounts must exist -> outbound and construction mappings -> attribute values -> deltas
 * against the accounts as they are.
 *
 * Which accounts must exist: every (resource, kind, intent) some construction asks for. A linked
 * account no construction asks for is handled by its resource's `assignmentPolicyEnforcement`:
 * `relative` deletes it only when this change removed the assignment(s) that produced it (other
 * linked accounts are kept and still get outbound mappings), `full` deletes it, `none` never does.
 * Dead shadows (a delete in progress) are ignored: if an assignment asks for the account, a new
 * one is planned.
 *
 * Where the enforcement would delete an account whose object type says `deprovisioning.action: disable`,
 * the account is kept and disabled instead (and stays disabled while nothing asks for it); a construction
 * that asks for it again gets the same account back, with the owner's status.
 *
 * Assignments come and go with midPoint's semantics: the constructions of an assignment this change
 * added are new, so their normal mappings apply to an existing account; the constructions of an
 * assignment it removed take back the values they gave (see outbound.ts).
 */
import type { AccountConstruction, Assignment, ObjectTemplateConfig, ResourceConfig, RoleConfig } from '../schema/config';
import type { AttributeDelta, Attributes, ItemDelta, ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { deprovisioningAction, EFFECTIVE_STATUS_PATH, effectiveStatusOf, withComputedActivation } from './activation';
import { diffUserProperties } from './deltas';
import { userChangeKeys } from './mappings';
import { computeOutbound, type OriginatedConstruction } from './outbound';
import { ConfigurationLookupError, requireObjectType, resourceId, resourceLookup, type ResourceLookup } from './resources';
import { resolveAssignments, roleLookup, RoleResolutionError, type ResolvedConstruction, type RoleLookup } from './roles';
import { applyTemplate } from './template';
import { iterationToken as tokenFor } from './iteration';
import { withRoleEntitlements, type RoleEntitlements } from './role-entitlements';

export interface ProjectionInput {
  /** Current user (after inbound deltas applied by the caller). */
  user: UserDoc;
  /** User paths changed by this change (for normal strength); undefined = unknown. */
  changedUserPaths?: string[];
  template?: ObjectTemplateConfig;
  /** All roles (looked up by oid or name). */
  roles: RoleConfig[];
  /** All resources (looked up by oid or name). */
  resources: ResourceConfig[];
  /** The user's linked accounts (current = as read now, null = unknown/not read). */
  accounts: Array<{ shadow: ShadowDoc; current: ResourceObject | null }>;
  /** Assignments this change removed (for 'relative' enforcement, and the values their constructions gave). */
  removedAssignments?: Assignment[];
  /**
   * Assignments this change added (their constructions' normal mappings apply). Undefined = unknown:
   * when `assignment` is among the changed paths, every assignment counts as added.
   */
  addedAssignments?: Assignment[];
  /** The time the effective status is computed for; without it the stored one stands. */
  now?: string;
  /** The entitlements roles are projected to (the targets of `associationFromLink`). */
  roleEntitlements?: RoleEntitlements;
}

export interface AccountPlan {
  resourceRef: string;
  kind: string;
  intent: string;
  objectClass: string;
  /** Existing shadow, if any. */
  shadowOid?: string;
  action: 'add' | 'modify' | 'delete' | 'keep';
  /** Computed icfs:name (for add, or a rename). */
  secondaryIdentifier?: string;
  /** add: full attribute set from outbound + construction mappings. */
  attributes?: Attributes;
  /** modify: attribute deltas against `current` (or the shadow's cached attributes when current is null). */
  deltas?: AttributeDelta[];
  /** Human-readable why. */
  reason: string;
  /**
   * `disable`: the account is disabled instead of deleted (its shadow records since when, if it doesn't
   * yet); `restore`: a construction asks again for an account so disabled (its shadow's record goes).
   */
  deprovisioning?: 'disable' | 'restore';
}

export interface Projection {
  user: UserDoc;
  userDeltas: ItemDelta[];
  accounts: AccountPlan[];
}

/** A construction with where it came from, so errors in its mappings name the role. */
const withOrigin = (c: ResolvedConstruction): OriginatedConstruction => ({ ...c.construction, origin: c.reason });

const assignmentKey = (a: Assignment): string => JSON.stringify(a);
const missingFrom = (from: readonly Assignment[], of: readonly Assignment[]): Assignment[] => {
  const keys = new Set(of.map(assignmentKey));
  return from.filter((a) => !keys.has(assignmentKey(a)));
};

export class ProjectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectionError';
  }
}

type AccountKey = string;
const keyOf = (resourceRef: string, kind: string, intent: string): AccountKey => `${resourceRef}\u0000${kind}\u0000${intent}`;

function requireResource(resources: ResourceLookup, ref: string, why: string): ResourceConfig {
  const resource = resources(ref);
  if (!resource) throw new ConfigurationLookupError(`${why} refers to unknown resource '${ref}'`);
  return resource;
}

interface Wanted {
  resource: ResourceConfig;
  kind: string;
  intent: string;
  constructions: ResolvedConstruction[];
}

function groupConstructions(constructions: readonly ResolvedConstruction[], resources: ResourceLookup): Map<AccountKey, Wanted> {
  const wanted = new Map<AccountKey, Wanted>();
  for (const resolved of constructions) {
    const c = resolved.construction;
    const resource = requireResource(resources, c.resourceRef, `an account construction (${resolved.reason})`);
    const key = keyOf(resourceId(resource), c.kind, c.intent);
    const entry = wanted.get(key) ?? { resource, kind: c.kind, intent: c.intent, constructions: [] };
    entry.constructions.push(resolved);
    wanted.set(key, entry);
  }
  return wanted;
}

interface RemovedAccount {
  /** Which removed assignment produced the account (`role Pirate`). */
  what: string;
  /** Its constructions, marked removed: what they gave is taken back. */
  constructions: OriginatedConstruction[];
}

/** The accounts the removed assignments produced (unknown roles among them are skipped: they can't be resolved any more). */
function removedAccounts(removed: readonly Assignment[] | undefined, roles: RoleLookup, resources: ResourceLookup, entitlements?: RoleEntitlements): Map<AccountKey, RemovedAccount> {
  const keys = new Map<AccountKey, RemovedAccount>();
  for (const assignment of removed ?? []) {
    let constructions: ResolvedConstruction[];
    try {
      constructions = withRoleEntitlements(resolveAssignments([assignment], roles), roles, resources, entitlements).constructions;
    } catch (e) {
      if (e instanceof RoleResolutionError) continue;
      throw e;
    }
    for (const resolved of constructions) {
      const resource = resources(resolved.construction.resourceRef);
      if (!resource) continue;
      const what = assignment.targetRef ? `role ${assignment.targetRef}` : 'direct account assignment';
      const key = keyOf(resourceId(resource), resolved.construction.kind, resolved.construction.intent);
      const entry = keys.get(key) ?? { what, constructions: [] };
      entry.constructions.push({ ...withOrigin(resolved), removed: true });
      keys.set(key, entry);
    }
  }
  return keys;
}

function describeReasons(constructions: readonly ResolvedConstruction[]): string {
  return [...new Set(constructions.map((c) => c.reason))].join('; ');
}

export function project(input: ProjectionInput): Projection {
  const roles = roleLookup(input.roles);
  const resources = resourceLookup(input.resources);
  const resolve = (assignments: readonly Assignment[]) => withRoleEntitlements(resolveAssignments(assignments, roles), roles, resources, input.roleEntitlements);

  // 1. Template, then roles' focus mappings (which may add assignments: resolve again then).
  // A template the user has just been given is new to him: all its normal mappings apply.
  const templateChanged = input.changedUserPaths?.includes('templateRef') === true;
  const templated = applyTemplate({ user: input.user, template: input.template, changedUserPaths: templateChanged ? undefined : input.changedUserPaths });
  let user = templated.user;
  const touched = [...templated.changedKeys];
  const changedPaths = () => (input.changedUserPaths === undefined ? undefined : [...input.changedUserPaths, ...touched]);
  let resolved = resolve(user.assignment);
  if (resolved.focusMappings.length > 0) {
    const focus = applyTemplate({
      user,
      extraMappings: resolved.focusMappings.map((f) => ({ mapping: f.mapping, origin: `role ${f.role}` })),
      changedUserPaths: changedPaths(),
    });
    user = focus.user;
    for (const key of focus.changedKeys) if (!touched.includes(key)) touched.push(key);
    if (focus.changedKeys.includes('assignment')) resolved = resolve(user.assignment);
  }
  if (input.now !== undefined) {
    const activated = withComputedActivation(user, input.now);
    if (JSON.stringify(activated.activation) !== JSON.stringify(user.activation)) {
      user = activated;
      if (!touched.includes(EFFECTIVE_STATUS_PATH)) touched.push(EFFECTIVE_STATUS_PATH, 'activation/validityStatus');
    }
  }
  const userDeltas = diffUserProperties(input.user, user, touched);
  const changedForOutbound = changedPaths();
  const changed = changedForOutbound === undefined ? undefined : userChangeKeys(changedForOutbound);

  // Assignments that came (their constructions' normal mappings apply) and went (what they gave goes).
  const everyAssignmentNew = input.addedAssignments === undefined && changed?.has('assignment') === true;
  const added = new Set([...(input.addedAssignments ?? []), ...missingFrom(user.assignment, input.user.assignment)].map(assignmentKey));
  const construct = (c: ResolvedConstruction): OriginatedConstruction =>
    everyAssignmentNew || added.has(assignmentKey(c.assignment)) ? { ...withOrigin(c), added: true } : withOrigin(c);
  const gone = missingFrom([...(input.removedAssignments ?? []), ...missingFrom(input.user.assignment, user.assignment)], user.assignment);

  // 2. Which accounts must exist.
  const wanted = groupConstructions(resolved.constructions, resources);
  const removed = removedAccounts(gone, roles, resources, input.roleEntitlements);
  const takenBack = (key: AccountKey): OriginatedConstruction[] => removed.get(key)?.constructions ?? [];
  const satisfied = new Set<AccountKey>();
  const plans: AccountPlan[] = [];

  const plannedExisting = (
    resource: ResourceConfig,
    account: { shadow: ShadowDoc; current: ResourceObject | null },
    constructions: AccountConstruction[],
    reason: string,
    deprovisioning?: AccountPlan['deprovisioning'],
  ): AccountPlan => {
    const { shadow } = account;
    const objectType = requireObjectType(resource, shadow.kind, shadow.intent);
    const forceStatus = deprovisioning === undefined ? undefined : deprovisioning === 'disable' ? 'disabled' : effectiveStatusOf(user);
    const result = computeOutbound({
      resource,
      objectType,
      constructions,
      user,
      mode: 'existing',
      changed,
      shadow,
      current: account.current,
      ...(forceStatus !== undefined ? { forceStatus } : {}),
    });
    const changes = result.deltas.length > 0 || result.secondaryIdentifier !== undefined;
    return {
      resourceRef: resourceId(resource),
      kind: shadow.kind,
      intent: shadow.intent,
      objectClass: shadow.objectClass || objectType.objectClass,
      shadowOid: shadow.oid,
      action: changes ? 'modify' : 'keep',
      ...(result.secondaryIdentifier !== undefined ? { secondaryIdentifier: result.secondaryIdentifier } : {}),
      ...(changes ? { deltas: result.deltas } : {}),
      reason,
      ...(deprovisioning !== undefined ? { deprovisioning } : {}),
    };
  };

  for (const account of input.accounts) {
    const { shadow } = account;
    if (shadow.dead) continue;
    const resource = requireResource(resources, shadow.resourceRef, `shadow ${shadow.oid}`);
    const key = keyOf(resourceId(resource), shadow.kind, shadow.intent);
    const want = wanted.get(key);
    if (want && !satisfied.has(key)) {
      satisfied.add(key);
      const restore = shadow.deprovisionedAt !== undefined ? 'restore' : undefined;
      plans.push(plannedExisting(resource, account, [...want.constructions.map(construct), ...takenBack(key)], describeReasons(want.constructions), restore));
      continue;
    }
    const enforcement = resource.consistency.assignmentPolicyEnforcement;
    const disables = deprovisioningAction(requireObjectType(resource, shadow.kind, shadow.intent)) === 'disable';
    const deletePlan = (reason: string): AccountPlan =>
      disables
        ? plannedExisting(resource, account, takenBack(key), `${reason}: disabled instead of deleted`, 'disable')
        : {
            resourceRef: resourceId(resource),
            kind: shadow.kind,
            intent: shadow.intent,
            objectClass: shadow.objectClass,
            shadowOid: shadow.oid,
            action: 'delete',
            reason,
          };
    if (want) {
      // A second account for the same resource/kind/intent: one is enough.
      plans.push(enforcement === 'none' ? plannedExisting(resource, account, takenBack(key), 'linked account (enforcement none)') : deletePlan('duplicate account: another linked account has the same kind and intent'));
    } else if (enforcement === 'full') {
      plans.push(deletePlan('no assignment requires this account (full enforcement)'));
    } else if (enforcement === 'relative' && removed.has(key)) {
      plans.push(deletePlan(`unassigned: ${removed.get(key)!.what} was removed and no other assignment requires this account`));
    } else if (shadow.deprovisionedAt !== undefined) {
      plans.push(plannedExisting(resource, account, takenBack(key), `disabled instead of deleted since ${shadow.deprovisionedAt}: no assignment requires this account`, 'disable'));
    } else {
      plans.push(plannedExisting(resource, account, takenBack(key), `linked account (${enforcement} enforcement keeps it without an assignment)`));
    }
  }

  // 3. Accounts to create.
  for (const [key, want] of wanted) {
    if (satisfied.has(key)) continue;
    const objectType = requireObjectType(want.resource, want.kind, want.intent);
    const result = computeOutbound({
      resource: want.resource,
      objectType,
      constructions: want.constructions.map(withOrigin),
      user,
      mode: 'add',
      changed: undefined,
      iteration: 0,
      iterationToken: tokenFor(0, objectType.iteration),
    });
    plans.push({
      resourceRef: resourceId(want.resource),
      kind: want.kind,
      intent: want.intent,
      objectClass: objectType.objectClass,
      action: 'add',
      secondaryIdentifier: result.secondaryIdentifier,
      attributes: result.attributes,
      reason: describeReasons(want.constructions),
    });
  }

  return { user, userDeltas, accounts: plans };
}

export interface AccountNameInput {
  user: UserDoc;
  resource: ResourceConfig;
  kind?: string;
  intent?: string;
  /** 0 for the first try, n for the n-th retry after "already exists". */
  iteration: number;
  /** All roles, to resolve the user's role assignments. */
  roles: RoleConfig[];
  /** The groups roles are projected to: the targets of their holders' `associationFromLink` memberships. */
  roleEntitlements?: RoleEntitlements;
}

/**
 * The name (icfs:name) and full attribute set of a new account at a given iteration, for retrying
 * an add after "already exists" (`jack` -> `jack1`). Constructions of the user's assignments for
 * that resource/kind/intent contribute their attribute mappings.
 */
export function accountForIteration(input: AccountNameInput): { secondaryIdentifier: string; iterationToken: string; attributes: Attributes } {
  const kind = input.kind ?? 'account';
  const intent = input.intent ?? 'default';
  const objectType = requireObjectType(input.resource, kind, intent);
  const id = resourceId(input.resource);
  const resources = resourceLookup([input.resource]);
  const roles = roleLookup(input.roles);
  const constructions = withRoleEntitlements(resolveAssignments(input.user.assignment, roles), roles, resources, input.roleEntitlements)
    .constructions.map(withOrigin)
    .filter((c) => {
      const r = resources(c.resourceRef);
      return r !== undefined && resourceId(r) === id && c.kind === kind && c.intent === intent;
    });
  const token = tokenFor(input.iteration, objectType.iteration);
  const result = computeOutbound({
    resource: input.resource,
    objectType,
    constructions,
    user: input.user,
    mode: 'add',
    changed: undefined,
    iteration: input.iteration,
    iterationToken: token,
  });
  if (result.secondaryIdentifier === undefined) throw new ProjectionError(`no name for an account on resource ${input.resource.name}`);
  return { secondaryIdentifier: result.secondaryIdentifier, iterationToken: token, attributes: result.attributes };
}
