/**
 * Shadows (Tally's record of each resource object) and their pending operations: lookups, the claims that
 * let one executor at a time talk to the resource for an account, and the bulk reads and writes of runs.
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { PendingOperation, ShadowDoc, UserDoc } from '../schema/objects';
import { isDuplicateKeyError } from './errors';
import { byId, collectionNames, duplicateKeyIndexes, hasPending, insertAll, nameCollation, noId, objectFields, withId } from './documents';
import { modifyWithRetry, updateAtomically, updateManyVersioned, updateOf, type Patch, type VersionedUpdate } from './versioned';

export interface ShadowIdentifiers {
  primaryIdentifier?: string | null;
  secondaryIdentifier?: string | null;
}

/** What reconciliation's third phase knows of a shadow the run did not see. */
export type UnseenShadow = Pick<ShadowDoc, 'oid' | 'kind' | 'primaryIdentifier' | 'secondaryIdentifier'>;

/**
 * Under which versions reconciliation last found a shadow's account in agreement with its owner: the
 * shadow's and the owner's versions and the configuration's generation then, and the owner's next validity
 * boundary. Any write of the shadow, of the owner or of the configuration changes one of them, so a stale
 * agreement is simply not equal. Bookkeeping: kept on the shadow without changing its version, read only
 * with a page's shadows (`byPrimaryIdentifiers`).
 */
export interface ShadowAgreement {
  shadowVersion: number;
  ownerVersion: number;
  generation: number;
  until?: string;
}

/** An agreement newly found, to keep on the shadow. */
export interface FoundAgreement {
  shadowOid: string;
  agreement: ShadowAgreement;
}

/** A shadow as a reconciliation page reads it: with its agreement. */
export type ShadowOfPage = ShadowDoc & { agreement?: ShadowAgreement };

export interface ShadowQuery {
  resourceRef?: string;
  ownerRef?: string;
  /** Only shadows with pending operations. */
  pending?: boolean;
}

export class ShadowStore {
  private readonly shadows: Collection<ShadowDoc>;

  constructor(db: Db) {
    this.shadows = db.collection(collectionNames.shadows);
  }

  async ensureIndexes(): Promise<void> {
    const { shadows } = this;
    await Promise.all([
      // One shadow per resource object, by its stable identifier...
      shadows.createIndex(
        { resourceRef: 1, primaryIdentifier: 1 },
        { unique: true, partialFilterExpression: { primaryIdentifier: { $type: 'string' } }, name: 'one_shadow_per_object' },
      ),
      // ...and by name among the objects that exist (a resource holds one object per name).
      shadows.createIndex(
        { resourceRef: 1, secondaryIdentifier: 1 },
        { unique: true, collation: nameCollation, partialFilterExpression: { exists: true, dead: false }, name: 'one_live_shadow_per_name' },
      ),
      shadows.createIndex({ resourceRef: 1, secondaryIdentifier: 1, primaryIdentifier: 1 }, { collation: nameCollation, name: 'shadow_by_name' }),
      shadows.createIndex({ ownerRef: 1 }, { name: 'shadow_by_owner' }),
      shadows.createIndex({ resourceRef: 1, oid: 1 }, { partialFilterExpression: hasPending, name: 'shadows_with_pending_operations' }),
      shadows.createIndex({ resourceRef: 1, dead: 1, _id: 1 }, { name: 'shadows_of_resource' }),
      shadows.createIndex(
        { resourceRef: 1, deprovisionedAt: 1 },
        { partialFilterExpression: { deprovisionedAt: { $type: 'string' } }, name: 'shadows_disabled_instead_of_deleted' },
      ),
    ]);
  }

  async get(oid: string): Promise<ShadowDoc | null> {
    return this.shadows.findOne(byId(oid), objectFields);
  }

  async byOids(oids: readonly string[]): Promise<ShadowDoc[]> {
    if (oids.length === 0) return [];
    return this.shadows.find({ _id: { $in: [...oids] } } as unknown as Filter<ShadowDoc>, objectFields).toArray();
  }

  /**
   * The shadows a user links to, in one read. A link counts when both sides say so: a link or unlink
   * cut short between its two writes leaves one side only, and the next synchronization of the account
   * completes or undoes it.
   */
  async linkedTo(user: Pick<UserDoc, 'oid' | 'linkRef'>): Promise<ShadowDoc[]> {
    return (await this.byOids(user.linkRef)).filter((shadow) => shadow.ownerRef === user.oid);
  }

  /**
   * The shadow of a resource object: by its primary identifier, else by its name (case-insensitive); a
   * shadow of another object (another primary identifier) is not it. A live shadow wins over a dead one.
   */
  async byIdentifiers(resourceRef: string, ids: ShadowIdentifiers): Promise<ShadowDoc | null> {
    const { shadows } = this;
    if (ids.primaryIdentifier) {
      // The `$type` lets the planner use the partial unique index (an equality alone doesn't).
      const found = await shadows.findOne({ resourceRef, primaryIdentifier: { $eq: ids.primaryIdentifier, $type: 'string' } }, objectFields);
      if (found) return found;
    }
    if (!ids.secondaryIdentifier) return null;
    const candidates = await shadows
      .find({ resourceRef, secondaryIdentifier: ids.secondaryIdentifier, ...(ids.primaryIdentifier ? { primaryIdentifier: { $in: [null, ids.primaryIdentifier] } } : {}) }, objectFields)
      .collation(nameCollation)
      .toArray();
    candidates.sort((a, b) => Number(a.dead) - Number(b.dead) || Number(b.exists) - Number(a.exists) || b.metadata.createTimestamp.localeCompare(a.metadata.createTimestamp));
    return candidates[0] ?? null;
  }

  async ofOwner(ownerRef: string): Promise<ShadowDoc[]> {
    return this.shadows.find({ ownerRef }, objectFields).toArray();
  }

  /** The live shadows these owners (roles) are linked to, of one kind, in one read. */
  async liveOfOwners(ownerRefs: readonly string[], kind: ShadowDoc['kind']): Promise<ShadowDoc[]> {
    if (ownerRefs.length === 0) return [];
    return this.shadows.find({ ownerRef: { $in: [...ownerRefs] }, kind, dead: false }, objectFields).toArray();
  }

  /** Per resource: its shadows, those that exist on the resource, the dead ones, and those with pending operations. */
  async countsByResource(): Promise<Map<string, { total: number; existing: number; dead: number; pending: number }>> {
    const rows = await this.shadows
      .aggregate<{ _id: string; total: number; existing: number; dead: number; pending: number }>([
        {
          $group: {
            _id: '$resourceRef',
            total: { $sum: 1 },
            existing: { $sum: { $cond: [{ $and: ['$exists', { $not: ['$dead'] }] }, 1, 0] } },
            dead: { $sum: { $cond: ['$dead', 1, 0] } },
            pending: { $sum: { $cond: [{ $gt: [{ $size: { $ifNull: ['$pendingOperations', []] } }, 0] }, 1, 0] } },
          },
        },
      ])
      .toArray();
    return new Map(rows.map(({ _id, ...counts }) => [_id, counts]));
  }

  /** Per resource: its pending operations and when the oldest was asked for (for the operator's gauges). */
  async pendingOperationsByResource(): Promise<Map<string, { operations: number; oldestRequest: string }>> {
    const rows = await this.shadows
      .aggregate<{ _id: string; operations: number; oldestRequest: string }>([
        { $match: hasPending },
        { $unwind: '$pendingOperations' },
        { $group: { _id: '$resourceRef', operations: { $sum: 1 }, oldestRequest: { $min: '$pendingOperations.requestTimestamp' } } },
      ])
      .toArray();
    return new Map(rows.map(({ _id, ...pending }) => [_id, pending]));
  }

  /** Shadows for people to look at, in name order. */
  async find(query: ShadowQuery): Promise<ShadowDoc[]> {
    const filter: Record<string, unknown> = {};
    if (query.resourceRef) filter.resourceRef = query.resourceRef;
    if (query.ownerRef) filter.ownerRef = query.ownerRef;
    if (query.pending) Object.assign(filter, hasPending);
    return this.shadows.find(filter as Filter<ShadowDoc>, objectFields).sort({ secondaryIdentifier: 1 }).toArray();
  }

  /** Shadows that still have operations to do (of one resource or one owner, or of all). */
  async withPendingOperations(
    of: { resourceRef?: string; ownerRef?: string } = {},
  ): Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>> {
    const filter = { ...hasPending, ...(of.resourceRef ? { resourceRef: of.resourceRef } : {}), ...(of.ownerRef ? { ownerRef: of.ownerRef } : {}) };
    return this.shadows
      .find(filter as Filter<ShadowDoc>, { projection: { _id: 0, oid: 1, resourceRef: 1, pendingOperations: 1 } })
      .toArray() as Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>>;
  }

  /**
   * Inserts a shadow; false when another shadow already holds its resource object's primary identifier.
   * A live shadow still holding its name is stale (the resource says the name is this object's now).
   */
  async insert(shadow: ShadowDoc): Promise<boolean> {
    try {
      await this.releasingStaleName(shadow, () => this.shadows.insertOne(withId(shadow) as never));
      return true;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  }

  async delete(oid: string): Promise<void> {
    await this.shadows.deleteOne(byId(oid));
  }

  /** Sets or unsets some fields whatever the shadow's version; null when the shadow is gone. */
  async patch(oid: string, patch: Patch): Promise<ShadowDoc | null> {
    return this.releasingStaleName({ oid, ...patch.set }, () => updateAtomically(this.shadows, oid, updateOf(patch)));
  }

  /**
   * Read-modify-write of a shadow: `change` sees the current shadow (first `known`, the caller's copy,
   * when given); lost races are re-read and retried.
   */
  async modify(oid: string, change: (current: ShadowDoc) => Patch | null, known?: ShadowDoc): Promise<ShadowDoc | null> {
    let last: Patch | null = null;
    return this.releasingStaleName(
      () => ({ oid, ...last?.set }),
      () =>
        modifyWithRetry(
          this.shadows,
          oid,
          (current) => {
            last = change(current);
            return last;
          },
          { known },
        ),
    );
  }

  /** Changes one pending operation in place; null when it is no longer there. */
  async patchPendingOperation(shadowOid: string, operationId: string, patch: Partial<PendingOperation>): Promise<ShadowDoc | null> {
    const set = Object.fromEntries(Object.entries(patch).map(([k, v]) => [`pendingOperations.$.${k}`, v]));
    return updateAtomically(this.shadows, shadowOid, updateOf({ set }), { 'pendingOperations.id': operationId });
  }

  /**
   * Marks the shadow's first pending operation as executing, unless someone else executes it (until
   * `until`): the one claim that lets exactly one executor talk to the resource for this account.
   */
  async claimPendingOperation(shadowOid: string, operationId: string, now: string, until: string, by?: string): Promise<ShadowDoc | null> {
    return updateAtomically(
      this.shadows,
      shadowOid,
      updateOf({ set: { 'pendingOperations.0.executing': true, 'pendingOperations.0.executingUntil': until, 'pendingOperations.0.executingBy': by ?? 'inline' } }),
      {
        'pendingOperations.0.id': operationId,
        $or: [
          { 'pendingOperations.0.executing': { $ne: true } },
          { 'pendingOperations.0.executingUntil': { $lt: now } },
          { 'pendingOperations.0.executingUntil': { $exists: false } },
          ...(by ? [{ 'pendingOperations.0.executingBy': by }] : []),
        ],
      },
    );
  }

  /** Extends the executor's claims on these operations (each still the first of its shadow, still claimed) to `until`. */
  async renewClaims(claims: ReadonlyArray<{ shadowOid: string; operationId: string }>, until: string): Promise<void> {
    if (claims.length === 0) return;
    await this.shadows.bulkWrite(
      claims.map(({ shadowOid, operationId }) => ({
        updateOne: {
          filter: { _id: shadowOid, 'pendingOperations.0.id': operationId, 'pendingOperations.0.executing': true } as unknown as Filter<ShadowDoc>,
          update: updateOf<ShadowDoc>({ set: { 'pendingOperations.0.executingUntil': until } }),
        },
      })),
      { ordered: false },
    );
  }

  /**
   * Shadows whose first pending operation no executor holds: claimed by one whose claim ended before `now`,
   * or queued before `queuedBefore`, never tried and never claimed (at most `limit`).
   */
  async awaitingExecutor(options: { now: string; queuedBefore: string; limit: number }): Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>> {
    const filter = {
      ...hasPending,
      $or: [
        { 'pendingOperations.0.executing': true, 'pendingOperations.0.executingUntil': { $lt: options.now } },
        {
          'pendingOperations.0.executing': { $ne: true },
          'pendingOperations.0.result.status': 'in-progress',
          'pendingOperations.0.requestTimestamp': { $lt: options.queuedBefore },
        },
      ],
    };
    return this.shadows
      .find(filter as Filter<ShadowDoc>, { projection: { _id: 0, oid: 1, resourceRef: 1, pendingOperations: 1 }, limit: options.limit })
      .toArray() as Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>>;
  }

  /** Removes a pending operation and sets the fields its outcome gives the shadow, in one update. */
  async finishPendingOperation(shadowOid: string, operationId: string, patch: Patch): Promise<ShadowDoc | null> {
    return this.releasingStaleName({ oid: shadowOid, ...patch.set }, () =>
      updateAtomically(this.shadows, shadowOid, updateOf(patch, { $pull: { pendingOperations: { id: operationId } } })),
    );
  }

  /**
   * A write that gives a live shadow a name another live shadow of the resource still holds: the other
   * one is stale (its object was renamed or deleted behind Tally's back), so it stops claiming the name.
   */
  private async releasingStaleName<T>(
    written: Partial<ShadowDoc> | (() => Partial<ShadowDoc>),
    write: () => Promise<T>,
  ): Promise<T> {
    try {
      return await write();
    } catch (e) {
      if (!isDuplicateKeyError(e) || !String((e as Error).message).includes('one_live_shadow_per_name')) throw e;
      const shadow = typeof written === 'function' ? written() : written;
      const current = shadow.oid ? await this.get(shadow.oid) : null;
      const resourceRef = shadow.resourceRef ?? current?.resourceRef;
      const name = shadow.secondaryIdentifier ?? current?.secondaryIdentifier;
      if (!resourceRef || !name) throw e;
      await this.shadows.updateMany(
        { resourceRef, secondaryIdentifier: name, exists: true, dead: false, _id: { $ne: shadow.oid } } as unknown as Filter<ShadowDoc>,
        updateOf({ set: { exists: false } }),
        { collation: nameCollation },
      );
      return write();
    }
  }

  /** The shadows of these resource objects (by primary identifier), with their agreements, in one read. */
  async byPrimaryIdentifiers(resourceRef: string, primaryIdentifiers: readonly string[]): Promise<ShadowOfPage[]> {
    if (primaryIdentifiers.length === 0) return [];
    return this.shadows
      .find({ resourceRef, primaryIdentifier: { $in: [...primaryIdentifiers], $type: 'string' } }, { ...noId, batchSize: primaryIdentifiers.length })
      .toArray();
  }

  /**
   * A run's bookkeeping of one page, in one write, versions untouched: that a reconciliation (`seenBy`, its
   * run id) saw these objects on the resource, and the agreements newly found (each kept only while its
   * shadow still has the version it was found under).
   */
  async markPage(
    resourceRef: string,
    page: { primaryIdentifiers: readonly string[]; seenBy?: string; agreements: readonly FoundAgreement[] },
  ): Promise<void> {
    const seen =
      page.seenBy && page.primaryIdentifiers.length > 0
        ? [{ updateMany: { filter: { resourceRef, primaryIdentifier: { $in: [...page.primaryIdentifiers], $type: 'string' }, lastSeenRunId: { $ne: page.seenBy } }, update: { $set: { lastSeenRunId: page.seenBy } } } }]
        : [];
    const agreed = page.agreements.map(({ shadowOid, agreement }) => ({
      updateOne: { filter: { _id: shadowOid, version: agreement.shadowVersion }, update: { $set: { agreement } } },
    }));
    if (seen.length + agreed.length === 0) return;
    await this.shadows.bulkWrite([...seen, ...agreed] as unknown as Parameters<Collection<ShadowDoc>['bulkWrite']>[0], { ordered: false });
  }

  /**
   * Shadows of objects that existed before the run started and the run did not see: the next page in
   * oid order after `after`.
   */
  async unseen(resourceRef: string, runId: string, options: { after?: string; createdBefore: string; limit: number }): Promise<UnseenShadow[]> {
    const filter = {
      resourceRef,
      dead: false,
      ...(options.after ? { _id: { $gt: options.after } } : {}),
      exists: true,
      primaryIdentifier: { $type: 'string' },
      lastSeenRunId: { $ne: runId },
      'metadata.createTimestamp': { $lt: options.createdBefore },
    } as unknown as Filter<ShadowDoc>;
    // What the phase needs of each: a simulated run reads every shadow here (it marks nothing on them).
    return this.shadows
      .find(filter, { projection: { _id: 0, oid: 1, kind: 1, primaryIdentifier: 1, secondaryIdentifier: 1 } })
      .sort({ _id: 1 })
      .limit(options.limit)
      .toArray() as Promise<UnseenShadow[]>;
  }

  /**
   * Live shadows of one object type of the resource disabled instead of deleted before `before`: the next
   * page in oid order after `after`.
   */
  async deprovisioned(
    resourceRef: string,
    options: { kind: string; intent: string; before: string; after?: string; limit: number },
  ): Promise<ShadowDoc[]> {
    const filter = {
      resourceRef,
      deprovisionedAt: { $type: 'string', $lt: options.before },
      dead: false,
      kind: options.kind,
      intent: options.intent,
      ...(options.after ? { _id: { $gt: options.after } } : {}),
    } as unknown as Filter<ShadowDoc>;
    return this.shadows.find(filter, objectFields).sort({ _id: 1 }).limit(options.limit).toArray();
  }

  /** Live shadows of the resource (the expected size of a run). */
  async countLive(resourceRef: string): Promise<number> {
    return this.shadows.countDocuments({ resourceRef, dead: false, exists: true });
  }

  /** Removes shadows of objects gone from the resource (no owner, nothing pending) not changed since `before`. */
  async removeGone(resourceRef: string, before: string): Promise<number> {
    const { deletedCount } = await this.shadows.deleteMany({
      resourceRef,
      $or: [{ dead: true }, { exists: false }],
      ownerRef: null,
      'pendingOperations.0': { $exists: false },
      'metadata.modifyTimestamp': { $lt: before },
    } as unknown as Filter<ShadowDoc>);
    return deletedCount;
  }
  /** Inserts shadows in one write; returns the oids refused by a unique index (the object or name is known). */
  async insertMany(shadows: readonly ShadowDoc[]): Promise<Set<string>> {
    return insertAll(this.shadows, shadows);
  }

  async deleteMany(oids: readonly string[]): Promise<void> {
    if (oids.length > 0) await this.shadows.deleteMany({ _id: { $in: [...oids] } } as unknown as Filter<ShadowDoc>);
  }


  /** Applies each patch only if its shadow is still at its expected version, in one write; returns how many applied. */
  async updateMany(updates: readonly VersionedUpdate[]): Promise<number> {
    return updateManyVersioned(this.shadows, updates);
  }

  /** Finishes each shadow's pending operation (if still there) with its patch, in one write. */
  async finishPendingOperations(finished: ReadonlyArray<{ shadowOid: string; operationId: string; patch: Patch }>): Promise<void> {
    if (finished.length === 0) return;
    try {
      await this.shadows.bulkWrite(
        finished.map(({ shadowOid, operationId, patch }) => ({
          updateOne: {
            filter: { _id: shadowOid, 'pendingOperations.id': operationId } as unknown as Filter<ShadowDoc>,
            update: updateOf(patch, { $pull: { pendingOperations: { id: operationId } } } as never),
          },
        })),
        { ordered: false },
      );
    } catch (e) {
      // A name another (stale) live shadow still holds: those are finished one by one, releasing the name.
      const refused = duplicateKeyIndexes(e);
      if (!refused) throw e;
      for (const i of refused) await this.finishPendingOperation(finished[i].shadowOid, finished[i].operationId, finished[i].patch);
    }
  }
}
