/**
 * What a simulation says: per object, what would happen to it (its situation and the transition, the
 * reaction, its owner's property deltas, each account operation), and counts by kind, as midPoint's
 * built-in simulation metrics.
 */
import type { AttributeDelta, Attributes, ItemDelta } from '../schema/objects';
import { simulationKinds, type SimulationKind } from '../schema/objects';

/** What an account operation would do on its resource. */
export type AccountOperationKind = 'add' | 'modify' | 'delete' | 'disable' | 'enable';

export interface SimulatedAccountOperation {
  operation: AccountOperationKind;
  resource: string;
  resourceOid: string;
  /** The account's name (after a rename, the new one). */
  account: string;
  /** add: the new account's attributes (secrets shown as ***). */
  attributes?: Attributes;
  /** modify, disable, enable: the attribute deltas (secrets shown as ***). */
  deltas?: AttributeDelta[];
}

export interface SimulatedUserChange {
  oid: string;
  name: string;
  change: 'add' | 'modify' | 'delete';
  /** modify: the properties that would change; add: the new user's properties. */
  deltas: ItemDelta[];
}

/** One object of a simulated run: what its synchronization would do. */
export interface SimulationItem {
  /** The resource object (or user, for a simulated apply) this is about. */
  object: string;
  resource?: string;
  /** `unmatched -> linked`: the situation found, and the shadow's situation after the reaction. */
  situation?: { from: string | null; to: string | null };
  /** The reaction's actions, as the routine reports them. */
  reaction: string[];
  users: SimulatedUserChange[];
  accounts: SimulatedAccountOperation[];
  /** The routine would fail for this object: why. */
  error?: string;
  /** What the item counts as, for `--only` (adds, modifies, deletes, disables, enables, users, errors). */
  kinds: SimulationKind[];
}

export { simulationKinds, type SimulationKind };

/** Counts of a simulation, by kind: the built-in metrics. */
export interface SimulationCounts {
  /** Objects looked at: read from the resource, or known by their shadows and no longer there. */
  objects: number;
  /** Objects that would change nothing. */
  unchanged: number;
  usersAdded: number;
  usersModified: number;
  usersDeleted: number;
  accountsAdded: number;
  accountsModified: number;
  accountsDeleted: number;
  accountsDisabled: number;
  accountsEnabled: number;
  errors: number;
  /** `unmatched -> linked: 47` */
  transitions: Record<string, number>;
}

/** How long a simulation's results are kept unless it says otherwise (`--keep-for`). */
export const SIMULATION_KEPT_FOR_MS = 7 * 24 * 3_600_000;
/** How long what a run or live sync held at its thresholds stays to be read. */
export const HOLD_KEPT_FOR_MS = 30 * 24 * 3_600_000;

/** Flat counters (a run's stats): the counts' keys, and `transition:<from> -> <to>` for each transition. */
export type SimulationStats = Record<string, number>;

const TRANSITION = 'transition:';

const accountCount: Record<AccountOperationKind, keyof SimulationCounts> = {
  add: 'accountsAdded',
  modify: 'accountsModified',
  delete: 'accountsDeleted',
  disable: 'accountsDisabled',
  enable: 'accountsEnabled',
};
const userCount = { add: 'usersAdded', modify: 'usersModified', delete: 'usersDeleted' } as const;
const accountKind: Record<AccountOperationKind, SimulationKind> = { add: 'adds', modify: 'modifies', delete: 'deletes', disable: 'disables', enable: 'enables' };

/** Whether the item would change anything (an item that changes nothing is only counted). */
export function changesSomething(item: Pick<SimulationItem, 'users' | 'accounts' | 'error'>): boolean {
  return item.users.length > 0 || item.accounts.length > 0 || !!item.error;
}

/** The kinds an item counts as. */
export function kindsOf(item: Pick<SimulationItem, 'users' | 'accounts' | 'error'>): SimulationKind[] {
  const kinds = new Set<SimulationKind>(item.accounts.map((a) => accountKind[a.operation]));
  if (item.users.length > 0) kinds.add('users');
  if (item.error) kinds.add('errors');
  return [...kinds];
}

const bump = (stats: SimulationStats, key: string, n = 1) => void (stats[key] = (stats[key] ?? 0) + n);

/** Adds the item to the stats. */
export function countItem(stats: SimulationStats, item: Pick<SimulationItem, 'users' | 'accounts' | 'error' | 'situation'>): void {
  if (!changesSomething(item)) bump(stats, 'unchanged');
  if (item.error) bump(stats, 'errors');
  for (const user of item.users) bump(stats, userCount[user.change]);
  for (const account of item.accounts) bump(stats, accountCount[account.operation]);
  if (item.situation) bump(stats, `${TRANSITION}${item.situation.from ?? 'none'} -> ${item.situation.to ?? 'none'}`);
}

/** The counts of a simulation's stats. */
export function simulationCounts(stats: SimulationStats): SimulationCounts {
  const counts: SimulationCounts = {
    objects: 0,
    unchanged: 0,
    usersAdded: 0,
    usersModified: 0,
    usersDeleted: 0,
    accountsAdded: 0,
    accountsModified: 0,
    accountsDeleted: 0,
    accountsDisabled: 0,
    accountsEnabled: 0,
    errors: 0,
    transitions: {},
  };
  for (const [key, value] of Object.entries(stats)) {
    if (key.startsWith(TRANSITION)) counts.transitions[key.slice(TRANSITION.length)] = value;
    else if (key in counts && key !== 'transitions') (counts[key as Exclude<keyof SimulationCounts, 'transitions'>] as number) = value;
  }
  // Objects read from the resource, and shadows of objects it no longer showed.
  counts.objects = (stats.seen ?? 0) + (stats.deleted ?? 0) + (stats.missedBySearch ?? 0);
  return counts;
}

/** The counts a threshold looks at. */
export function thresholdCounts(counts: Pick<SimulationCounts, 'accountsDeleted' | 'accountsDisabled' | 'accountsModified'>): { deletes: number; disables: number; modifies: number } {
  return { deletes: counts.accountsDeleted, disables: counts.accountsDisabled, modifies: counts.accountsModified };
}
