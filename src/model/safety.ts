/**
 * Thresholds that stop a run before the damage: the limits of a run (a resource's `safety`, what the run
 * asks instead, shares of the resource's accounts made numbers), what an object's operations count
 * against them, and whether counts exceed them.
 */
import { DEFAULT_SAFETY, type SafetyConfig, type Threshold } from '../schema/config-basics';
import type { SimulatedAccountOperation } from './simulation';

/** The operations thresholds count. */
export interface GuardedCounts {
  deletes: number;
  disables: number;
  modifies: number;
}

/** A run's limits in numbers of operations; null: not limited. */
export type SafetyLimits = { [K in keyof GuardedCounts]: number | null };

const keyOf = { deletes: 'maxDeletes', disables: 'maxDisables', modifies: 'maxModifies' } as const;
export const guardedKinds = Object.keys(keyOf) as Array<keyof GuardedCounts>;

export const noGuardedCounts = (): GuardedCounts => ({ deletes: 0, disables: 0, modifies: 0 });

function limitOf(threshold: Threshold, accounts: number): number | null {
  if (threshold === 'off') return null;
  if (typeof threshold === 'number') return threshold;
  return Math.floor((accounts * Number(threshold.slice(0, -1))) / 100);
}

/** The limits of a run on a resource holding `accounts` accounts: the resource's safety, with the run's own over it. */
export function safetyLimits(resource: Partial<SafetyConfig> | undefined, override: Partial<SafetyConfig> | undefined, accounts: number): SafetyLimits {
  const safety = { ...DEFAULT_SAFETY, ...resource, ...override };
  return {
    deletes: limitOf(safety.maxDeletes, accounts),
    disables: limitOf(safety.maxDisables, accounts),
    modifies: limitOf(safety.maxModifies, accounts),
  };
}

export function limitsActive(limits: SafetyLimits | undefined): limits is SafetyLimits {
  return !!limits && guardedKinds.some((k) => limits[k] !== null);
}

/** What an object's account operations count against the limits (only the kinds that are limited). */
export function guardedCountsOf(limits: SafetyLimits, accounts: readonly Pick<SimulatedAccountOperation, 'operation'>[]): GuardedCounts {
  const counts = noGuardedCounts();
  for (const { operation } of accounts) countGuarded(counts, operation);
  for (const k of guardedKinds) if (limits[k] === null) counts[k] = 0;
  return counts;
}

export const anyGuarded = (counts: GuardedCounts) => guardedKinds.some((k) => counts[k] > 0);

export function addGuarded(into: GuardedCounts, from: GuardedCounts): GuardedCounts {
  for (const k of guardedKinds) into[k] += from[k];
  return into;
}

/** The limits the counts pass, said for people ("60 deletes > maxDeletes 50"); empty when none. */
export function exceededLimits(limits: SafetyLimits, counts: GuardedCounts): string[] {
  return guardedKinds.flatMap((k) => (limits[k] !== null && counts[k] > limits[k]! ? [`${counts[k]} ${k} > ${keyOf[k]} ${limits[k]}`] : []));
}

/**
 * How many more changes may be applied without simulating them: even if each did `perChange` operations of
 * every kind, the counts would stay within the limits. Infinity when no limit is set.
 */
export function changesWithinRoom(limits: SafetyLimits, counts: GuardedCounts, perChange: number): number {
  let room = Infinity;
  for (const k of guardedKinds) if (limits[k] !== null) room = Math.min(room, Math.floor((limits[k]! - counts[k]) / Math.max(1, perChange)));
  return Math.max(0, room);
}

/** Counts one account operation (a delete, a disable, a modification) where thresholds count it. */
export function countGuarded(counts: GuardedCounts, operation: SimulatedAccountOperation['operation']): void {
  if (operation === 'delete') counts.deletes++;
  else if (operation === 'disable') counts.disables++;
  else if (operation === 'modify') counts.modifies++;
}
