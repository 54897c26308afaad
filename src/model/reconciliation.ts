/**
 * Reconciliation's comparison of one account with its shadow and its owner: "what should be" (inbound,
 * template, outbound) against "what is". An account that agrees on all of them needs nothing.
 */
import type { ObjectTemplateConfig, ResourceConfig, RoleConfig } from '../schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../schema/objects';
import { computeInbound } from './inbound';
import { project } from './projector';
import { requireObjectType } from './resources';
import type { RoleEntitlements } from './role-entitlements';

/**
 * The object template a user is kept consistent with: his own (`templateRef`, by oid or name), else
 * the default one (`default: true`, midPoint's system-wide default object policy for users), else none.
 * A templateRef to a template that is gone gives none: the user asked for that one, not the default.
 */
export function templateFor<T extends ObjectTemplateConfig & { oid?: string }>(user: Pick<UserDoc, 'templateRef'>, templates: readonly T[]): T | undefined {
  if (user.templateRef !== undefined) return templates.find((t) => t.oid === user.templateRef || t.name === user.templateRef);
  return templates.find((t) => t.default === true);
}

export interface AccountComparison {
  resource: ResourceConfig;
  shadow: ShadowDoc;
  /** The account as just read from the resource. */
  object: ResourceObject;
  owner: UserDoc;
  templates: readonly ObjectTemplateConfig[];
  roles: RoleConfig[];
  resources: ResourceConfig[];
  /** The effective status is computed at this time: a validity that passed since the last recompute counts. */
  now?: string;
  /** The roles' own entitlements (the targets of `associationFromLink`). */
  roleEntitlements?: RoleEntitlements;
}

/**
 * Why a linked account needs the synchronization routine (`inbound`, `template`, `outbound modify`...),
 * or null when the account, its shadow and its owner already agree.
 */
export function reconciliationNeed(input: AccountComparison): string | null {
  const { shadow, object, owner } = input;
  const objectType = requireObjectType(input.resource, shadow.kind, shadow.intent);
  if (computeInbound({ objectType, account: object, user: owner, resourceName: input.resource.name, shadow }).length > 0) return 'inbound';
  const projection = project({
    user: owner,
    template: templateFor(owner, input.templates),
    roles: input.roles,
    resources: input.resources,
    accounts: [{ shadow, current: object }],
    ...(input.now !== undefined ? { now: input.now } : {}),
    ...(input.roleEntitlements !== undefined ? { roleEntitlements: input.roleEntitlements } : {}),
  });
  if (projection.userDeltas.length > 0) return 'template';
  const plan = projection.accounts.find((p) => p.shadowOid === shadow.oid);
  if (!plan) return 'outbound: not planned';
  return plan.action === 'keep' ? null : `outbound ${plan.action}`;
}

/** The bucket (0..count-1) an object falls in when a run is split: FNV-1a of its primary identifier. */
export function bucketOf(primaryIdentifier: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < primaryIdentifier.length; i++) {
    hash ^= primaryIdentifier.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % count;
}
