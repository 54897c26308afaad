/** Live sync: each resource's changelog position and who holds it, and the change events services sent. */
import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import type { Channel } from '../schema/config';
import type { ResourceChange } from '../schema/objects';
import { byId, collectionNames, duplicateKeyIndexes, noId } from './documents';
import type { Versioned } from './versioned';

export interface SyncTokenDoc extends Versioned {
  /** `livesync:<resourceOid>` */
  oid: string;
  resourceRef: string;
  /** Absent until the first poll set it to the changelog's end. */
  token?: string;
  updatedAt?: string;
  /** The live-sync workflow working on the resource. */
  workflowId?: string;
  /** An operator stopped or paused live sync: it stays so (`tally apply` leaves it) until a start or resume. */
  operatorDecision?: LiveSyncDecision;
  /** The account operations live sync did that thresholds count, by poll, over the last hour (the sliding window). */
  guarded?: GuardedOperations[];
}

/** What one poll did that thresholds count. */
export interface GuardedOperations {
  at: string;
  deletes: number;
  disables: number;
  modifies: number;
}

export interface LiveSyncDecision {
  state: 'stopped' | 'paused';
  at: string;
  channel: Channel;
}

/** A change event a service sent (HTTP API or signal), stored until live sync has applied it. */
export interface ChangeEventDoc {
  resourceRef: string;
  /** The sender's id of the event: the same id again is a duplicate. */
  eventId?: string;
  change: ResourceChange;
  receivedAt: string;
  done: boolean;
  doneAt?: Date;
}

/**
 * A change of one object the synchronization routine keeps failing on, held by its processChange
 * workflow (`oid`: the workflow id) while it is retried or waits for an operator: live sync queues the
 * object's later changes behind it.
 */
export interface HeldChangeDoc extends Versioned {
  resourceRef: string;
  /** The object's stable identifier and its name, lower-cased, as changes name it. */
  objectKeys: string[];
  state: HeldChangeState;
  attempt: number;
  maxAttempts: number;
  lastError: string;
  /** The next automatic attempt; absent once held as failed. */
  nextTryAt?: string;
  /** The first failure of the change. */
  since: string;
  change: Pick<ResourceChange, 'changeType' | 'primaryIdentifier' | 'secondaryIdentifier' | 'channel'>;
  updatedAt: string;
}

export type HeldChangeState = 'retrying' | 'failed';

export class LiveSyncStore {
  private readonly syncTokens: Collection<SyncTokenDoc>;
  private readonly changeEvents: Collection<ChangeEventDoc>;
  private readonly heldChanges: Collection<HeldChangeDoc>;

  constructor(db: Db) {
    this.syncTokens = db.collection(collectionNames.syncTokens);
    this.changeEvents = db.collection(collectionNames.changeEvents);
    this.heldChanges = db.collection(collectionNames.heldChanges);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.changeEvents.createIndex({ resourceRef: 1, done: 1, _id: 1 }, { name: 'change_events_to_apply' }),
      this.changeEvents.createIndex({ resourceRef: 1, eventId: 1 }, { unique: true, partialFilterExpression: { eventId: { $type: 'string' } }, name: 'one_event_per_id' }),
      // Applied events are kept a day, so a repeated event id is still recognised.
      this.changeEvents.createIndex({ doneAt: 1 }, { expireAfterSeconds: 86_400, name: 'applied_events_expire' }),
      this.heldChanges.createIndex({ resourceRef: 1, objectKeys: 1 }, { name: 'held_changes_by_object' }),
    ]);
  }

  /** Where live sync of the resource is in its changelog; null before it first ran. */
  async token(resourceRef: string): Promise<SyncTokenDoc | null> {
    return this.syncTokens.findOne(byId(`livesync:${resourceRef}`), noId);
  }

  /** Moves the resource's live-sync position (written only once what came before it is applied or handed over). */
  async saveToken(resourceRef: string, token: string, now: string): Promise<void> {
    const oid = `livesync:${resourceRef}`;
    await this.syncTokens.updateOne(
      byId(oid),
      { $set: { oid, resourceRef, token, updatedAt: now }, $inc: { version: 1 } },
      { upsert: true },
    );
  }

  /**
   * Makes this workflow the resource's live sync; returns the workflow id that holds it instead, if another
   * does (the caller decides whether that one still runs).
   */
  async claim(resourceRef: string, workflowId: string, options: { takeOver: boolean }): Promise<string | null> {
    const oid = `livesync:${resourceRef}`;
    const current = await this.syncTokens.findOne(byId(oid), noId);
    if (current?.workflowId && current.workflowId !== workflowId && !options.takeOver) return current.workflowId;
    await this.syncTokens.updateOne(byId(oid), { $set: { oid, resourceRef, workflowId }, $inc: { version: 1 } }, { upsert: true });
    return null;
  }

  /** Records the operator's stop or pause of the resource's live sync; null clears it (a start or resume). */
  async recordDecision(resourceRef: string, decision: LiveSyncDecision | null): Promise<void> {
    const oid = `livesync:${resourceRef}`;
    if (decision) {
      await this.syncTokens.updateOne(byId(oid), { $set: { oid, resourceRef, operatorDecision: decision }, $inc: { version: 1 } }, { upsert: true });
    } else {
      await this.syncTokens.updateOne({ ...byId(oid), operatorDecision: { $exists: true } }, { $unset: { operatorDecision: '' }, $inc: { version: 1 } });
    }
  }

  /** The operations thresholds count that live sync did since `since` (the sliding hour). */
  async guardedSince(resourceRef: string, since: string): Promise<GuardedOperations[]> {
    const doc = await this.syncTokens.findOne(byId(`livesync:${resourceRef}`), { projection: { _id: 0, guarded: 1 } });
    return (doc?.guarded ?? []).filter((g) => g.at >= since);
  }

  /** Adds a poll's counted operations to the window, dropping what is older than `since`. */
  async recordGuarded(resourceRef: string, done: GuardedOperations, since: string): Promise<void> {
    const oid = `livesync:${resourceRef}`;
    await this.syncTokens.updateOne(byId(oid), { $pull: { guarded: { at: { $lt: since } } } } as never);
    await this.syncTokens.updateOne(byId(oid), { $set: { oid, resourceRef }, $push: { guarded: done }, $inc: { version: 1 } } as never, { upsert: true });
  }

  /** An operator approved what live sync held: the window starts again. */
  async clearGuarded(resourceRef: string): Promise<void> {
    await this.syncTokens.updateOne(byId(`livesync:${resourceRef}`), { $unset: { guarded: '' }, $inc: { version: 1 } });
  }

  async release(resourceRef: string, workflowId: string): Promise<void> {
    await this.syncTokens.updateOne({ _id: `livesync:${resourceRef}`, workflowId } as unknown as Filter<SyncTokenDoc>, { $unset: { workflowId: '' }, $inc: { version: 1 } });
  }

  /** Stores change events in arrival order, in one write; an event id seen before is a duplicate, not stored again. */
  async acceptChangeEvents(events: ReadonlyArray<Omit<ChangeEventDoc, 'done'>>): Promise<{ accepted: number; duplicates: number }> {
    if (events.length === 0) return { accepted: 0, duplicates: 0 };
    try {
      await this.changeEvents.insertMany(events.map((e) => ({ ...e, done: false })), { ordered: false });
      return { accepted: events.length, duplicates: 0 };
    } catch (e) {
      const refused = duplicateKeyIndexes(e);
      if (!refused) throw e;
      return { accepted: events.length - refused.length, duplicates: refused.length };
    }
  }

  /** The resource's change events not applied yet, oldest first. */
  async pendingChangeEvents(resourceRef: string, limit: number): Promise<Array<{ id: string; change: ResourceChange }>> {
    const found = await this.changeEvents.find({ resourceRef, done: false }, { projection: { change: 1 }, batchSize: limit }).sort({ _id: 1 }).limit(limit).toArray();
    return found.map((e) => ({ id: e._id.toHexString(), change: e.change }));
  }

  async countPendingChangeEvents(resourceRef: string): Promise<number> {
    return this.changeEvents.countDocuments({ resourceRef, done: false });
  }

  async finishChangeEvents(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.changeEvents.updateMany({ _id: { $in: ids.map((id) => ObjectId.createFromHexString(id)) } }, { $set: { done: true, doneAt: new Date() } });
  }

  /** Records (or updates) the change a processChange workflow holds. */
  async holdChange(held: Omit<HeldChangeDoc, 'version'>): Promise<void> {
    await this.heldChanges.updateOne(byId(held.oid), { $set: held, $inc: { version: 1 } }, { upsert: true });
  }

  /** The workflow holds no change any more (it went through, or was discarded). */
  async releaseHeldChange(workflowId: string): Promise<void> {
    await this.heldChanges.deleteOne(byId(workflowId));
  }

  async heldChange(workflowId: string): Promise<HeldChangeDoc | null> {
    const found = await this.heldChanges.findOne(byId(workflowId), noId);
    return found ? { ...found, oid: workflowId } : null;
  }

  /** Which of these objects (lower-cased identifiers) have a change held, each with the workflow holding it. */
  async heldObjects(resourceRef: string, objectKeys: readonly string[]): Promise<Map<string, string>> {
    const held = new Map<string, string>();
    if (objectKeys.length === 0) return held;
    const found = await this.heldChanges.find({ resourceRef, objectKeys: { $in: [...objectKeys] } }, { projection: { objectKeys: 1, oid: 1 } }).toArray();
    for (const doc of found) for (const key of doc.objectKeys) held.set(key, doc.oid);
    return held;
  }

  /** How many of the resource's changes are being retried, and how many are held as failed. */
  async countHeldChanges(resourceRef: string): Promise<Record<HeldChangeState, number>> {
    const counts: Record<HeldChangeState, number> = { retrying: 0, failed: 0 };
    const groups = await this.heldChanges.aggregate<{ _id: HeldChangeState; n: number }>([{ $match: { resourceRef } }, { $group: { _id: '$state', n: { $sum: 1 } } }]).toArray();
    for (const group of groups) counts[group._id] = group.n;
    return counts;
  }
}
