/**
 * One live-sync poll of a resource: its changelog (if it has one) and the change events services sent for
 * it (HTTP API, signals). The changes since the stored position are coalesced per
 * object (the routine reads each object as it is now, so one pass applies all of an object's changes,
 * in order); modifications of linked accounts go through the bulk path (bulk-modifications.ts), the rest
 * through the one-object routine, side by side. A change that fails is handed to its own processChange
 * workflow, which retries it, and the poll goes on; while that workflow holds the change (retrying, or
 * failed until an operator retries or discards it), the object's later changes are handed to it too, to
 * queue behind it. The position moves only when every change before it
 * was applied or handed over; a poll cut short is done again, and the routine is idempotent.
 */
import { changelogEnd, hasChangelog, readChangelog, resourceOf, type ConnectorChange } from '../../provisioning';
import { changeObjectKey } from '../../schema/change-key';
import type { RunError, StoredResource } from '../../repository/repository';
import type { ResourceChange } from '../../schema/objects';
import { withConcurrency } from '../../support/concurrency';
import { isOutage } from '../reconciliation/objects-page';
import { objectError } from '../reconciliation/run-scope';
import { heldBehind } from '../held-changes';
import { synchronizeChange } from '../synchronize-change';
import { synchronizeModificationsInBulk } from './bulk-modifications';
import { changesWithinGate, countingDeps, guardChanges, pollGate, recordGuardedDone, recordLiveSyncHold, type LiveSyncHold } from './live-sync-safety';
import { noGuardedCounts } from '../../model';
import { nowOf, type SyncDeps } from '../sync-deps';
import { changesHandedOver, liveSyncBehind, liveSyncCaughtUp, liveSyncPolls } from '../../observability/metrics';

/** Objects synchronized side by side in one poll by the one-object routine. @default 16 */
export const LIVE_SYNC_WIDTH = 16;
/** Changes taken through the bulk path's stages together. @default 125 */
export const BULK_SLICE = 125;
/** Slices through the bulk path at once. @default 2 */
export const BULK_SLICES_AT_ONCE = 2;

export interface PollResult {
  /** Changes read (Tally's own writes are not among them). */
  changes: number;
  /** Objects they were about. */
  objects: number;
  applied: number;
  /** Objects skipped because they are protected accounts. */
  protected: number;
  /** Changes handed to their own processChange workflow after they failed here. */
  handedOver: number;
  errors: RunError[];
  /** First poll of the resource: the position was set to the changelog's end. */
  started: boolean;
  /** The changelog no longer held the position: a reconciliation must find what was missed. */
  expired: boolean;
  /** More changes are waiting: poll again at once. */
  more: boolean;
  token: string;
  /** Changes held at the resource's thresholds: the position stays before them until an operator decides. */
  held?: LiveSyncHold;
}

/** The first wait before an empty read is tried again; each next one is twice as long. */
const FIRST_LINGER_WAIT_MS = 50;

export async function pollChangelog(
  deps: SyncDeps,
  resourceOid: string,
  options: {
    limit: number;
    workflowId?: string;
    approved?: boolean;
    /**
     * How long to keep reading while nothing is there (the workflow asks for it after a poll that found
     * changes: changes come in streams, and its timers wait a second at the least).
     */
    lingerMs?: number;
  },
): Promise<PollResult> {
  const resource = await resourceOf(deps, resourceOid);
  const result: PollResult = { changes: 0, objects: 0, applied: 0, protected: 0, handedOver: 0, errors: [], started: false, expired: false, more: false, token: '' };
  let read = await readPending(deps, resource, options.limit, result);
  const until = Date.now() + (options.lingerMs ?? 0);
  for (let wait = FIRST_LINGER_WAIT_MS; isEmpty(read, result) && Date.now() < until; wait *= 2) {
    await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, until - Date.now()))));
    read = await readPending(deps, resource, options.limit, result);
  }
  const { events, fromEvents, fromChangelog, nextToken } = read;
  const objects = [...fromChangelog, ...fromEvents];
  liveSyncPolls.inc({ resource: resource.name });
  if (objects.length > 0) liveSyncBehind(resource.name, Date.now());
  const behind = await heldBehind(deps, resource.oid, objects);
  const gate = await pollGate(deps, resource, options);
  const done = noGuardedCounts();
  // Under thresholds the poll's account operations are counted, into the room left and the hour's window.
  const working: SyncDeps = gate ? countingDeps(deps, gate, done) : deps;
  const apply = async (changes: readonly ResourceChange[]) => {
    const routine = new Set(changes.filter((c) => behind.has(c)));
    const slices = Array.from({ length: Math.ceil(changes.length / BULK_SLICE) }, (_, i) => changes.slice(i * BULK_SLICE, (i + 1) * BULK_SLICE).filter((c) => !behind.has(c)));
    // Each object is once in a poll, so slices are independent: while one waits for a resource, another computes.
    await withConcurrency(slices, BULK_SLICES_AT_ONCE, async (slice) => {
      const bulk = await synchronizeModificationsInBulk(working, slice, options.workflowId);
      result.applied += bulk.applied.length;
      for (const change of bulk.rest) routine.add(change);
    });
    await withConcurrency([...routine], LIVE_SYNC_WIDTH, async (change) => {
      const holder = behind.get(change);
      if (holder) {
        // An earlier change of this object is being retried or waits for an operator: this one queues behind it.
        await working.workflows.reportChange(change, holder);
        result.handedOver++;
        return;
      }
      try {
        const outcome = await synchronizeChange(working, change, options.workflowId);
        if (outcome.situation === 'protected') result.protected++;
        else result.applied++;
      } catch (e) {
        if (isOutage(e)) throw e;
        await working.workflows.reportChange(change);
        result.handedOver++;
        changesHandedOver.inc({ resource: resource.name });
        result.errors.push(objectError(change.secondaryIdentifier ?? change.primaryIdentifier ?? '?', e, nowOf(deps)));
      }
    });
  };
  await apply(objects.filter((o) => behind.has(o)));
  let rest = objects.filter((o) => !behind.has(o));
  for (let room = gate ? changesWithinGate(gate, done) : Infinity; rest.length > 0 && room > 0; room = changesWithinGate(gate!, done)) {
    await apply(rest.slice(0, room));
    rest = rest.slice(room);
  }
  const guard = gate && rest.length > 0 ? await guardChanges(deps, gate, done, rest, options) : { apply: rest, held: [], reasons: [] };
  await apply(guard.apply);
  await recordGuardedDone(deps, resource, gate, done);
  result.objects = objects.length;
  if (guard.held.length > 0) {
    // The position and the events stay where they were: after the decision the poll reads them again.
    result.held = await recordLiveSyncHold(deps, resource, guard, options.workflowId);
    result.changes += events.length;
    result.more = false;
    return result;
  }
  if (nextToken) await deps.repo.liveSync.saveToken(resource.oid, nextToken, nowOf(deps));
  await deps.repo.liveSync.finishChangeEvents(events.map((e) => e.id));
  result.changes += events.length;
  result.objects = objects.length;
  result.more ||= events.length >= options.limit;
  if (!result.more) liveSyncCaughtUp(resource.name);
  return result;
}

interface PendingRead {
  events: Awaited<ReturnType<SyncDeps['repo']['liveSync']['pendingChangeEvents']>>;
  fromEvents: ResourceChange[];
  fromChangelog: ResourceChange[];
  /** The position after the changes read, when it moved. */
  nextToken?: string;
}

/** Nothing to apply (records of other objects may have moved the position: each read starts from the stored one, so the last read's position covers them). */
const isEmpty = (read: PendingRead, result: PollResult) => read.events.length === 0 && read.fromChangelog.length === 0 && !result.started && !result.expired;

/**
 * The change events waiting and the changelog's changes after the stored position (`result` gets what was
 * read: counts, the token, a first poll's start, an expired position).
 */
async function readPending(deps: SyncDeps, resource: StoredResource, limit: number, result: PollResult): Promise<PendingRead> {
  const events = await deps.repo.liveSync.pendingChangeEvents(resource.oid, limit);
  const read: PendingRead = { events, fromEvents: coalesceEvents(events.map((e) => e.change)), fromChangelog: [] };
  if (!hasChangelog(resource)) return read;
  const stored = (await deps.repo.liveSync.token(resource.oid))?.token;
  if (!stored) {
    result.token = await changelogEnd(deps, resource.oid);
    await deps.repo.liveSync.saveToken(resource.oid, result.token, nowOf(deps));
    result.started = true;
    return read;
  }
  const page = await readChangelog(deps, resource.oid, stored, limit);
  result.token = page.token;
  if (page.expired) {
    await deps.repo.liveSync.saveToken(resource.oid, page.token, nowOf(deps));
    result.expired = true;
    return read;
  }
  read.fromChangelog = coalesce(page.changes).map((changes) => asResourceChange(resource.oid, changes));
  result.changes = page.changes.length;
  result.more = page.changes.length >= limit;
  if (page.token !== stored) read.nextToken = page.token;
  return read;
}

/** Change events grouped by object, each group's latest (the routine reads the object as it is now). */
function coalesceEvents(changes: readonly ResourceChange[]): ResourceChange[] {
  const latest = new Map<string, ResourceChange>();
  for (const change of changes) latest.set(changeObjectKey(change).toLowerCase(), change);
  return [...latest.values()];
}

/**
 * The changes grouped by object (its stable identifier, else its name), each group in changelog order.
 * A change known only by its name (an LDAP group's member) joins the object that name belongs to in the
 * same page, so one object is never synchronized twice side by side.
 */
export function coalesce(changes: readonly ConnectorChange[]): ConnectorChange[][] {
  const nameKey = (name: string | undefined) => (name ?? '').toLowerCase();
  const primaryByName = new Map<string, string>();
  for (const change of changes) {
    if (change.primaryIdentifier === undefined) continue;
    for (const name of [change.secondaryIdentifier, change.newSecondaryIdentifier]) if (name) primaryByName.set(nameKey(name), change.primaryIdentifier);
  }
  const groups = new Map<string, ConnectorChange[]>();
  for (const change of changes) {
    const key = change.primaryIdentifier ?? primaryByName.get(nameKey(change.secondaryIdentifier)) ?? `name:${nameKey(change.secondaryIdentifier)}`;
    groups.set(key, [...(groups.get(key) ?? []), change]);
  }
  return [...groups.values()];
}

/** One object's changes as one change for the routine: its latest name and type; what changed, if every change says. */
export function asResourceChange(resourceRef: string, changes: readonly ConnectorChange[]): ResourceChange {
  const last = changes[changes.length - 1];
  const knownDeltas = changes.every((c) => c.changeType === 'modify' && c.attributeDeltas);
  return {
    resourceRef,
    channel: 'live-sync',
    changeType: last.changeType,
    primaryIdentifier: [...changes].reverse().find((c) => c.primaryIdentifier !== undefined)?.primaryIdentifier,
    secondaryIdentifier: last.newSecondaryIdentifier ?? last.secondaryIdentifier,
    ...(knownDeltas ? { attributeDeltas: changes.flatMap((c) => c.attributeDeltas!) } : {}),
    token: last.token,
  };
}
