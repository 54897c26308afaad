/** Users: lookups, correlation, versioned writes, their links to shadows and their provisioning mark. */
import type { Collection, Db, Filter } from 'mongodb';
import type { CorrelationCondition } from '../model/situation';
import type { UserDoc } from '../schema/objects';
import { byId, collectionNames, ignoringCaseCollation, insertAll, noId, withId } from './documents';
import { updateAtomically, updateManyVersioned, updateOf, updateVersioned, type Patch, type VersionedUpdate } from './versioned';

export class UserStore {
  private readonly users: Collection<UserDoc>;

  constructor(db: Db) {
    this.users = db.collection(collectionNames.users);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.users.createIndex({ name: 1 }, { unique: true, name: 'one_user_per_name' }),
      this.users.createIndex({ name: 1 }, { collation: ignoringCaseCollation, name: 'user_by_name_ignoring_case' }),
      this.users.createIndex({ 'projectionDue.since': 1 }, { sparse: true, name: 'users_with_projection_due' }),
    ]);
  }

  async get(oid: string): Promise<UserDoc | null> {
    return this.users.findOne(byId(oid), noId);
  }

  async byName(name: string): Promise<UserDoc | null> {
    return this.users.findOne({ name }, noId);
  }

  async byRef(ref: string): Promise<UserDoc | null> {
    return (await this.get(ref)) ?? (await this.byName(ref));
  }

  async byOids(oids: readonly string[]): Promise<UserDoc[]> {
    if (oids.length === 0) return [];
    // One batch for all: no getMore round trips for a page of a reconciliation.
    return this.users.find({ _id: { $in: [...oids] } } as unknown as Filter<UserDoc>, { ...noId, batchSize: oids.length }).toArray();
  }

  /** The current version of each of these users (the ones that exist), without reading them whole. */
  async versions(oids: readonly string[]): Promise<Map<string, number>> {
    if (oids.length === 0) return new Map();
    const found = await this.users
      .find({ _id: { $in: [...oids] } } as unknown as Filter<UserDoc>, { projection: { _id: 1, version: 1 }, batchSize: oids.length })
      .toArray();
    return new Map(found.map((u) => [(u as unknown as { _id: string })._id, u.version]));
  }

  /**
   * Users matching a correlation condition (at most `limit`). Under a matching rule other than exact the
   * answer may hold more users than the rule matches (case and accents are ignored): narrow it with
   * userMatchesCondition.
   */
  async matching(condition: CorrelationCondition, limit: number): Promise<UserDoc[]> {
    const found = this.users.find(correlationFilter(condition) as Filter<UserDoc>, noId);
    if (hasMatchingRule(condition)) found.collation(ignoringCaseCollation);
    return found.limit(limit).toArray();
  }

  /** Throws a duplicate-key error (code 11000) when the name is taken. */
  async insert(user: UserDoc): Promise<void> {
    await this.users.insertOne(withId(user) as never);
  }

  async delete(oid: string): Promise<void> {
    await this.users.deleteOne(byId(oid));
  }

  /** Removes the user only if he is still at `expectedVersion`; false when he changed (or is gone). */
  async deleteAtVersion(oid: string, expectedVersion: number): Promise<boolean> {
    const { deletedCount } = await this.users.deleteOne({ _id: oid, version: expectedVersion } as unknown as Filter<UserDoc>);
    return deletedCount === 1;
  }

  /** Applies the patch only if the user is still at `expectedVersion`; VersionConflictError otherwise. */
  async update(oid: string, expectedVersion: number, patch: Patch): Promise<UserDoc> {
    return updateVersioned(this.users, oid, expectedVersion, updateOf(patch));
  }

  /** Applies each patch only if its user is still at its expected version, in one write; returns how many applied. */
  async updateMany(updates: readonly VersionedUpdate[]): Promise<number> {
    return updateManyVersioned(this.users, updates);
  }

  /** Sets some properties whatever the user's version (they depend on nothing else of the user). */
  async setProperties(oid: string, set: Record<string, unknown>): Promise<UserDoc | null> {
    return updateAtomically(this.users, oid, updateOf({ set }));
  }

  /** Removes the user's provisioning mark (`projectionDue`), unless a change after the one with `token` renewed it. */
  async clearProjectionDue(oid: string, token: string): Promise<void> {
    await updateAtomically(this.users, oid, updateOf({ unset: ['projectionDue'] }), { 'projectionDue.token': token });
  }

  /** clearProjectionDue of many users, in one write. */
  async clearProjectionDues(marks: ReadonlyArray<{ oid: string; token: string }>): Promise<void> {
    if (marks.length === 0) return;
    await this.users.bulkWrite(
      marks.map(({ oid, token }) => ({
        updateOne: { filter: { _id: oid, 'projectionDue.token': token } as unknown as Filter<UserDoc>, update: updateOf<UserDoc>({ unset: ['projectionDue'] }) },
      })),
      { ordered: false },
    );
  }

  /**
   * Users changed before `before` whose accounts were never provisioned after it, not being deleted, and not
   * handed over since `handedOverBefore` (oldest first, at most `limit`).
   */
  async withProjectionDue(options: { before: string; handedOverBefore: string; limit: number }): Promise<Array<Pick<UserDoc, 'oid' | 'projectionDue'> & { metadata?: Partial<UserDoc['metadata']> }>> {
    const filter = {
      'projectionDue.since': { $lt: options.before },
      deletion: { $exists: false },
      $or: [{ 'projectionDue.handedOverAt': { $exists: false } }, { 'projectionDue.handedOverAt': { $lt: options.handedOverBefore } }],
    };
    return this.users
      .find(filter as Filter<UserDoc>, { projection: { _id: 0, oid: 1, projectionDue: 1, 'metadata.modifyChannel': 1 }, sort: { 'projectionDue.since': 1 }, limit: options.limit })
      .toArray();
  }

  /** Notes that the user's provisioning was asked for at `now` (the mark stays until it is done). */
  async markProjectionHandedOver(oid: string, token: string, now: string): Promise<void> {
    await updateAtomically(this.users, oid, updateOf({ set: { 'projectionDue.handedOverAt': now } }), { 'projectionDue.token': token });
  }

  /** Adds the shadow to the user's links (idempotent); false when he has it already or is no user. */
  async linkShadow(userOid: string, shadowOid: string): Promise<boolean> {
    return (await updateAtomically(this.users, userOid, updateOf({}, { $addToSet: { linkRef: shadowOid } }), { linkRef: { $ne: shadowOid } })) !== null;
  }

  /** Adds each user's shadows to his links, in one write (idempotent). */
  async linkShadows(links: ReadonlyArray<{ userOid: string; shadowOids: string[] }>): Promise<void> {
    if (links.length === 0) return;
    await this.users.bulkWrite(
      links.map(({ userOid, shadowOids }) => ({
        updateOne: { filter: byId<UserDoc>(userOid), update: updateOf<UserDoc>({}, { $addToSet: { linkRef: { $each: shadowOids } } } as never) },
      })),
      { ordered: false },
    );
  }

  /** Removes the shadow from the user's links (idempotent); false when he has no such link or is no user. */
  async unlinkShadow(userOid: string, shadowOid: string): Promise<boolean> {
    return (await updateAtomically(this.users, userOid, updateOf({}, { $pull: { linkRef: shadowOid } }), { linkRef: shadowOid })) !== null;
  }

  /** Users by name prefix (or a part of the name), in name order, a page at a time. */
  async list(options: { nameStartsWith?: string; nameContains?: string; after?: string; limit: number }): Promise<UserDoc[]> {
    const filter: Record<string, unknown> = {};
    if (options.nameStartsWith) filter.name = { $regex: `^${escapeRegex(options.nameStartsWith)}` };
    if (options.nameContains) filter.name = { $regex: escapeRegex(options.nameContains), $options: 'i' };
    if (options.after) filter.name = { ...((filter.name as object) ?? {}), $gt: options.after };
    return this.users.find(filter as Filter<UserDoc>, noId).sort({ name: 1 }).limit(options.limit).toArray();
  }

  /** The users with an assignment of this role (at most `limit`). */
  async assignedTo(roleOid: string, limit: number): Promise<Array<Pick<UserDoc, 'oid' | 'name'>>> {
    return this.users.find({ 'assignment.targetRef': roleOid } as Filter<UserDoc>, { projection: { _id: 0, oid: 1, name: 1 }, limit }).toArray();
  }

  async count(): Promise<number> {
    return this.users.countDocuments();
  }

  /** Oid and name of every user. */
  async names(): Promise<Array<Pick<UserDoc, 'oid' | 'name'>>> {
    return this.users.find({}, { projection: { _id: 0, oid: 1, name: 1 } }).toArray();
  }

  /** Inserts users in one write; returns the oids refused because the name (or oid) is taken. */
  async insertMany(users: readonly UserDoc[]): Promise<Set<string>> {
    return insertAll(this.users, users);
  }

  async deleteMany(oids: readonly string[]): Promise<void> {
    if (oids.length > 0) await this.users.deleteMany({ _id: { $in: [...oids] } } as unknown as Filter<UserDoc>);
  }
}

/** The text as a regular expression matching it literally (MongoDB refuses a pattern holding a NUL: it is written \x00). */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
}

function hasMatchingRule(condition: CorrelationCondition): boolean {
  if ('equal' in condition) return condition.equal.matchingRule !== undefined;
  return ('and' in condition ? condition.and : condition.or).some(hasMatchingRule);
}

/** The users filter of a correlation condition; no values match nobody. */
function correlationFilter(condition: CorrelationCondition): Record<string, unknown> {
  if ('equal' in condition) {
    const { field, values } = condition.equal;
    return { [field]: values.length === 1 ? values[0] : { $in: values } };
  }
  if ('and' in condition) return { $and: condition.and.map(correlationFilter) };
  return { $or: condition.or.map(correlationFilter) };
}
