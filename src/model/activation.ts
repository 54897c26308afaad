/**
 * Activation, as midPoint computes it:
 * - the effective status: the administrative status when one is set (it overrides validity), otherwise
 *   `disabled` before `validFrom` and after `validTo`, `enabled` in between (and without validity);
 * - the next validity boundary, when the effective status may change by time alone;
 * - the account's status attribute: outbound from the user's effective status, inbound into the user's
 *   administrative status, each with the strength of its mapping.
 */
import type { AdministrativeStatusConfig, Activation, ObjectTypeDefinition, Strength } from '../schema/config';
import type { AttributeDelta, AttributeValue, Attributes, EffectiveStatus, ItemDelta, ResourceObject, UserActivation, UserDoc } from '../schema/objects';
import { includesValue } from './deltas';
import { attributeName, getAttributeValues } from './paths';

export const ADMINISTRATIVE_STATUS_PATH = 'activation/administrativeStatus';
export const EFFECTIVE_STATUS_PATH = 'activation/effectiveStatus';

export interface ComputedActivation {
  effectiveStatus: EffectiveStatus;
  validityStatus?: 'before' | 'in' | 'after';
}

const instant = (iso: string | undefined): number | undefined => {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

export function computeActivation(activation: Activation | undefined, now: string): ComputedActivation {
  const at = Date.parse(now);
  const from = instant(activation?.validFrom);
  const to = instant(activation?.validTo);
  const validityStatus = from === undefined && to === undefined ? undefined : from !== undefined && at < from ? 'before' : to !== undefined && at >= to ? 'after' : 'in';
  const administrative = activation?.administrativeStatus;
  const effectiveStatus: EffectiveStatus = administrative ?? (validityStatus === 'before' || validityStatus === 'after' ? 'disabled' : 'enabled');
  return { effectiveStatus, ...(validityStatus ? { validityStatus } : {}) };
}

/** The user's effective status as last computed (a user without activation is enabled). */
export function effectiveStatusOf(user: Pick<UserDoc, 'activation'>): EffectiveStatus {
  return user.activation?.effectiveStatus ?? user.activation?.administrativeStatus ?? 'enabled';
}

/**
 * The user with `effectiveStatus` and `validityStatus` computed for `now`. A user who sets nothing of his
 * activation keeps none (he is enabled), so users without activation are not rewritten.
 */
export function withComputedActivation(user: UserDoc, now: string): UserDoc {
  const { effectiveStatus: _e, validityStatus: _v, ...own } = user.activation ?? ({} as UserActivation);
  const set = Object.values(own).some((v) => v !== undefined);
  if (!set) {
    if (user.activation === undefined) return user;
    const { activation: _a, ...rest } = user;
    return rest as UserDoc;
  }
  return { ...user, activation: { ...own, ...computeActivation(own, now) } };
}

/** The first of `validFrom` and `validTo` after `now`: when the effective status is to be computed again. */
export function nextValidityBoundary(activation: Activation | undefined, now: string): string | undefined {
  const at = Date.parse(now);
  const next = [activation?.validFrom, activation?.validTo]
    .map((iso) => ({ iso, t: instant(iso) }))
    .filter((b): b is { iso: string; t: number } => b.t !== undefined && b.t > at)
    .sort((a, b) => a.t - b.t)[0];
  return next?.iso;
}

// ---- the account's status attribute --------------------------------------------------------

/** The attribute values that say `status` on the resource (none: enabled without an `enabledValue`). */
export function statusValues(config: AdministrativeStatusConfig, status: EffectiveStatus): AttributeValue[] {
  if (status === 'enabled') return config.enabledValue === undefined ? [] : [config.enabledValue];
  return [config.disabledValue];
}

/** The account's administrative status read from its attribute: disabled when it holds the disabled value. */
export function accountStatus(config: AdministrativeStatusConfig, values: readonly unknown[]): 'enabled' | 'disabled' {
  return values.some((v) => String(v).toLowerCase() === String(config.disabledValue).toLowerCase()) ? 'disabled' : 'enabled';
}

const changedActivation = (changed: ReadonlySet<string> | undefined) =>
  changed === undefined || [...changed].some((k) => k === 'activation' || k.startsWith('activation/'));

const sameValues = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((v) => includesValue(b.map(String), String(v)));

export interface ActivationOutboundInput {
  objectType: ObjectTypeDefinition;
  user: UserDoc;
  mode: 'add' | 'existing';
  changed: ReadonlySet<string> | undefined;
  /** The account's current values of an attribute, and whether they are known. */
  current: (attribute: string) => { known: boolean; values: AttributeValue[] };
}

function applies(strength: Strength, changed: boolean, known: boolean, empty: boolean): boolean {
  if (strength === 'strong') return true;
  if (strength === 'normal') return changed;
  return known && empty;
}

/**
 * Adds the status attribute to an account's outbound result: its values on add, a replace when the
 * account's values differ from the user's effective status (weak: only while the attribute is empty;
 * normal: when the user's activation changed or what changed is unknown; strong: always).
 */
export function appendActivationOutbound(input: ActivationOutboundInput, attributes: Attributes, deltas: AttributeDelta[]): void {
  const config = input.objectType.activation?.administrativeStatus;
  if (!config?.outbound) return;
  const name = attributeName(config.attribute);
  const desired = statusValues(config, effectiveStatusOf(input.user));
  if (input.mode === 'add') {
    if (desired.length > 0) attributes[name] = desired;
    return;
  }
  const { known, values } = input.current(name);
  if (!applies(config.outbound.strength, changedActivation(input.changed), known, values.length === 0)) return;
  replaceStatus(deltas, name, desired, { known, values });
}

/** Replaces whatever the deltas say of the status attribute by `desired`, unless the account holds it already. */
function replaceStatus(deltas: AttributeDelta[], name: string, desired: AttributeValue[], current: { known: boolean; values: AttributeValue[] }): void {
  if (current.known && sameValues(current.values, desired)) return;
  const at = deltas.findIndex((d) => d.path.toLowerCase() === name.toLowerCase());
  if (at >= 0) deltas.splice(at, 1);
  deltas.push({ path: name, replace: desired });
}

/**
 * Sets the account's status to `status` whatever the outbound mapping's strength: an account disabled
 * instead of deleted (`disabled`), or one given back to its owner (his effective status).
 */
export function forceAccountStatus(
  objectType: ObjectTypeDefinition,
  status: EffectiveStatus,
  current: (attribute: string) => { known: boolean; values: AttributeValue[] },
  deltas: AttributeDelta[],
): void {
  const config = objectType.activation?.administrativeStatus;
  if (!config) return;
  const name = attributeName(config.attribute);
  // What the status mapping planned gives way, even when the account holds the forced status already.
  const planned = deltas.findIndex((d) => d.path.toLowerCase() === name.toLowerCase());
  if (planned >= 0) deltas.splice(planned, 1);
  replaceStatus(deltas, name, statusValues(config, status), current(name));
}

/** What the object type does with an account nothing asks for any more: delete it (the default) or disable it. */
export function deprovisioningAction(objectType: ObjectTypeDefinition): 'delete' | 'disable' {
  return objectType.activation?.deprovisioning?.action ?? 'delete';
}

/**
 * The user's administrative status from the account's status attribute (weak: only while the user has
 * none; normal: when the attribute changed or what changed is unknown; strong: always).
 */
export function activationInbound(objectType: ObjectTypeDefinition, account: ResourceObject, user: UserDoc | null, changedAttributes: readonly string[] | undefined): ItemDelta[] {
  const config = objectType.activation?.administrativeStatus;
  if (!config?.inbound) return [];
  const name = attributeName(config.attribute);
  const current = user?.activation?.administrativeStatus;
  const changed = changedAttributes === undefined || changedAttributes.some((a) => attributeName(a).toLowerCase() === name.toLowerCase());
  if (!applies(config.inbound.strength, changed, true, current === undefined)) return [];
  const status = accountStatus(config, getAttributeValues(account, name));
  return status === current ? [] : [{ path: ADMINISTRATIVE_STATUS_PATH, replace: [status] }];
}
