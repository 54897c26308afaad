/**
 * Tally's MongoDB repository: storage, indexes and optimistic versioning, behind methods named for
 * their purpose. No business rules here, and nothing outside this folder builds a query or an update.
 */
import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import type { Channel, ObjectTemplateConfig, ResourceConfig, RoleConfig } from '../schema/config';
import type { CorrelationCondition } from '../model/situation';
import type { PendingOperation, ResourceChange, ShadowDoc, UserDoc } from '../schema/objects';
import { isDuplicateKeyError } from './errors';
import { modifyWithRetry, updateAtomically, updateOf, updateVersioned, type Patch, type Versioned } from './versioned';

export type { Patch };

export type Stored<T> = T & { oid: string; version: number; storedAt: string };
export type StoredResource = Stored<ResourceConfig>;
/** A role as applied, with the shadows of its own projection (`linkRef`, kept by Tally). */
export type StoredRole = Stored<RoleConfig> & {
  linkRef?: string[];
  /** Set by `tally role delete`: its own projection is deprovisioned, then the role is removed. */
  deletion?: { requestedAt: string };
};
export type StoredObjectTemplate = Stored<ObjectTemplateConfig>;
export type ConfigKind = 'Resource' | 'Role' | 'ObjectTemplate';
type StoredConfig = StoredResource | StoredRole | StoredObjectTemplate;

/** The applied configuration, read once per change of it. */
export interface ConfigSnapshot {
  generation: number;
  resources: StoredResource[];
  roles: StoredRole[];
  objectTemplates: StoredObjectTemplate[];
}

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
}

export interface LiveSyncDecision {
  state: 'stopped' | 'paused';
  at: string;
  channel: Channel;
}

/** One object's failure in a reconciliation or import run, kept for people to read. */
export interface RunError {
  /** The object's name (secondary identifier), else its primary identifier. */
  object: string;
  message: string;
  at: string;
}

/** Counters of a run; every key is a number of objects (or operations). */
export type RunStats = Record<string, number>;

export interface RunDoc extends Versioned {
  oid: string;
  type: 'recon' | 'import';
  resourceRef: string;
  resourceName: string;
  workflowId: string;
  startedAt: string;
  finishedAt?: string;
  /** Only one run per resource is `running` (a unique index says so). */
  state: 'running' | 'finished' | 'failed' | 'abandoned';
  phase: string;
  stats: RunStats;
  /** The last errors (at most 100); `stats.errors` counts them all. */
  errors: RunError[];
  message?: string;
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

export interface AuditRecord {
  timestamp: string;
  channel: string;
  objectType: 'user' | 'shadow' | 'account';
  objectOid: string;
  /** What changed; secrets are never written here. */
  delta: unknown;
  workflowId?: string;
  resourceRef?: string;
  message?: string;
}

export interface ShadowIdentifiers {
  primaryIdentifier?: string | null;
  secondaryIdentifier?: string | null;
}

export interface ShadowQuery {
  resourceRef?: string;
  ownerRef?: string;
  /** Only shadows with pending operations. */
  pending?: boolean;
}

export const collectionNames = {
  users: 'users',
  shadows: 'shadows',
  resources: 'resources',
  roles: 'roles',
  objectTemplates: 'objectTemplates',
  syncTokens: 'syncTokens',
  changeEvents: 'changeEvents',
  runs: 'runs',
  audit: 'audit',
  storage: 'storage',
  operationCancellations: 'operationCancellations',
} as const;

/** Names (LDAP DNs, logins) compare without regard to case, in lookups and in uniqueness. */
const nameCollation = { locale: 'en', strength: 2 } as const;
/** Correlation under a matching rule that ignores case (and accents): a superset the caller narrows by the rule. */
const ignoringCaseCollation = { locale: 'en', strength: 1 } as const;
const noId = { projection: { _id: 0 } } as const;
const byId = <T>(oid: string) => ({ _id: oid }) as unknown as Filter<T>;
const withId = <T extends { oid: string }>(object: T) => ({ ...object, _id: object.oid });
const hasPending = { 'pendingOperations.0': { $exists: true } } as const;

/** An operator gave up a stuck operation (one run of its workflow): `tally status` no longer lists it. */
export interface OperationCancellationDoc {
  /** `<workflowId>/<runId>` */
  _id: string;
  workflowId: string;
  runId: string;
  cancelledAt: string;
  reason: string;
}

interface StorageDoc {
  _id: string;
  generation?: number;
}

export class Repository {
  /** The raw collections, for the repository and for tests that look behind it. */
  readonly collections: {
    users: Collection<UserDoc>;
    shadows: Collection<ShadowDoc>;
    resources: Collection<StoredResource>;
    roles: Collection<StoredRole>;
    objectTemplates: Collection<StoredObjectTemplate>;
    syncTokens: Collection<SyncTokenDoc>;
    changeEvents: Collection<ChangeEventDoc>;
    runs: Collection<RunDoc>;
    audit: Collection<AuditRecord>;
    storage: Collection<StorageDoc>;
    operationCancellations: Collection<OperationCancellationDoc>;
  };
  private snapshot: Promise<ConfigSnapshot> | undefined;
  private snapshotCheckedAt = 0;

  /**
   * @param options.configCheckIntervalMs How often the configuration's generation is looked at again: a
   * `tally apply` in another process is seen within this time (one in this process at once). @default 1000
   */
  constructor(
    readonly db: Db,
    private readonly options: { configCheckIntervalMs?: number } = {},
  ) {
    this.collections = {
      users: db.collection(collectionNames.users),
      shadows: db.collection(collectionNames.shadows),
      resources: db.collection(collectionNames.resources),
      roles: db.collection(collectionNames.roles),
      objectTemplates: db.collection(collectionNames.objectTemplates),
      syncTokens: db.collection(collectionNames.syncTokens),
      changeEvents: db.collection(collectionNames.changeEvents),
      runs: db.collection(collectionNames.runs),
      audit: db.collection(collectionNames.audit),
      storage: db.collection(collectionNames.storage),
      operationCancellations: db.collection(collectionNames.operationCancellations),
    };
  }

  async ensureIndexes(): Promise<void> {
    const { users, shadows, resources, roles, objectTemplates, audit, runs, changeEvents } = this.collections;
    await Promise.all([
      users.createIndex({ name: 1 }, { unique: true, name: 'one_user_per_name' }),
      users.createIndex({ name: 1 }, { collation: ignoringCaseCollation, name: 'user_by_name_ignoring_case' }),
      users.createIndex({ 'projectionDue.since': 1 }, { sparse: true, name: 'users_with_projection_due' }),
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
      ...[resources, roles, objectTemplates].map((c) => (c as Collection<StoredConfig>).createIndex({ name: 1 }, { unique: true })),
      shadows.createIndex({ resourceRef: 1, dead: 1, _id: 1 }, { name: 'shadows_of_resource' }),
      shadows.createIndex(
        { resourceRef: 1, deprovisionedAt: 1 },
        { partialFilterExpression: { deprovisionedAt: { $type: 'string' } }, name: 'shadows_disabled_instead_of_deleted' },
      ),
      audit.createIndex({ objectOid: 1 }),
      runs.createIndex({ resourceRef: 1 }, { unique: true, partialFilterExpression: { state: 'running' }, name: 'one_running_run_per_resource' }),
      runs.createIndex({ resourceRef: 1, startedAt: -1 }, { name: 'runs_by_resource' }),
      changeEvents.createIndex({ resourceRef: 1, done: 1, _id: 1 }, { name: 'change_events_to_apply' }),
      changeEvents.createIndex({ resourceRef: 1, eventId: 1 }, { unique: true, partialFilterExpression: { eventId: { $type: 'string' } }, name: 'one_event_per_id' }),
      // Applied events are kept a day, so a repeated event id is still recognised.
      changeEvents.createIndex({ doneAt: 1 }, { expireAfterSeconds: 86_400, name: 'applied_events_expire' }),
    ]);
  }

  // ---- configuration ------------------------------------------------------------------------

  private configCollection(kind: ConfigKind): Collection<StoredConfig> {
    const { resources, roles, objectTemplates } = this.collections;
    return (kind === 'Resource' ? resources : kind === 'Role' ? roles : objectTemplates) as unknown as Collection<StoredConfig>;
  }

  /**
   * Every resource, role and template, read again only when `tally apply` changed something: the
   * configuration's generation is looked at once per `configCheckIntervalMs`.
   */
  async configSnapshot(): Promise<ConfigSnapshot> {
    const cached = this.snapshot && (await this.snapshot.catch(() => undefined));
    const checkEveryMs = this.options.configCheckIntervalMs ?? 1000;
    if (cached && Date.now() - this.snapshotCheckedAt < checkEveryMs) return cached;
    const generation = (await this.collections.storage.findOne({ _id: 'config' }))?.generation ?? 0;
    this.snapshotCheckedAt = Date.now();
    if (cached?.generation === generation) return cached;
    this.snapshot = (async () => {
      const [resources, roles, objectTemplates] = await Promise.all([
        this.collections.resources.find({}, noId).toArray(),
        this.collections.roles.find({}, noId).toArray(),
        this.collections.objectTemplates.find({}, noId).toArray(),
      ]);
      return { generation, resources, roles, objectTemplates } as ConfigSnapshot;
    })();
    return this.snapshot;
  }

  async resource(ref: string): Promise<StoredResource | null> {
    return this.findConfig((snapshot) => snapshot.resources, ref);
  }

  async role(ref: string): Promise<StoredRole | null> {
    return this.findConfig((snapshot) => snapshot.roles, ref);
  }

  /** By oid or name; a miss looks at the stored configuration again (it may have just been applied elsewhere). */
  private async findConfig<T extends StoredConfig>(of: (snapshot: ConfigSnapshot) => T[], ref: string): Promise<T | null> {
    const found = findByRef(of(await this.configSnapshot()), ref);
    if (found) return found;
    this.snapshotCheckedAt = 0;
    return findByRef(of(await this.configSnapshot()), ref);
  }

  async configObject(kind: ConfigKind, oid: string): Promise<StoredConfig | null> {
    return this.configCollection(kind).findOne(byId(oid), noId);
  }

  /** Oid and name of every configured object and user (what `tally apply` resolves references against). */
  async knownObjects(): Promise<Array<{ kind: ConfigKind | 'User'; oid: string; name: string; default?: boolean }>> {
    const names = { projection: { _id: 0, oid: 1, name: 1 } };
    const kinds: ConfigKind[] = ['Resource', 'ObjectTemplate', 'Role'];
    const isDefault = (o: StoredConfig) => ('default' in o && o.default === true ? { default: true } : {});
    const [configured, users] = await Promise.all([
      Promise.all(
        kinds.map(async (kind) =>
          (await this.configCollection(kind).find({}, { projection: { _id: 0, oid: 1, name: 1, default: 1 } }).toArray()).map((o) => ({ kind, oid: o.oid, name: o.name, ...isDefault(o) })),
        ),
      ),
      this.collections.users.find({}, names).toArray(),
    ]);
    return [...configured.flat(), ...users.map((u) => ({ kind: 'User' as const, oid: u.oid, name: u.name }))];
  }

  async insertConfigObject(kind: ConfigKind, object: StoredConfig): Promise<void> {
    await this.configCollection(kind).insertOne(withId(object) as never);
    await this.configChanged();
  }

  async replaceConfigObject(kind: ConfigKind, oid: string, expectedVersion: number, patch: Patch): Promise<void> {
    await updateVersioned(this.configCollection(kind), oid, expectedVersion, updateOf(patch));
    await this.configChanged();
  }

  /** Marks a role as being deleted (idempotent); false when there is no such role. */
  async markRoleForDeletion(oid: string, now: string): Promise<boolean> {
    const marked = await updateAtomically(this.collections.roles, oid, updateOf({ set: { deletion: { requestedAt: now } } }), { deletion: { $exists: false } });
    if (marked) await this.configChanged();
    return marked !== null || (await this.collections.roles.countDocuments({ _id: oid, deletion: { $exists: true } } as unknown as Filter<StoredRole>)) > 0;
  }

  /** Removes a role marked for deletion whose projection has no shadow left. */
  async removeDeletedRole(oid: string): Promise<boolean> {
    const { deletedCount } = await this.collections.roles.deleteOne({ _id: oid, deletion: { $exists: true }, linkRef: { $in: [null, []] } } as unknown as Filter<StoredRole>);
    if (deletedCount === 1) await this.configChanged();
    return deletedCount === 1;
  }

  /** The users with an assignment of this role (at most `limit`). */
  async usersAssigned(roleOid: string, limit: number): Promise<Array<Pick<UserDoc, 'oid' | 'name'>>> {
    return this.collections.users.find({ 'assignment.targetRef': roleOid } as Filter<UserDoc>, { projection: { _id: 0, oid: 1, name: 1 }, limit }).toArray();
  }

  private async configChanged(): Promise<void> {
    await this.collections.storage.updateOne({ _id: 'config' }, { $inc: { generation: 1 } }, { upsert: true });
    this.snapshotCheckedAt = 0;
  }

  // ---- users -----------------------------------------------------------------------------

  async user(oid: string): Promise<UserDoc | null> {
    return this.collections.users.findOne(byId(oid), noId);
  }

  async userByName(name: string): Promise<UserDoc | null> {
    return this.collections.users.findOne({ name }, noId);
  }

  async userByRef(ref: string): Promise<UserDoc | null> {
    return (await this.user(ref)) ?? (await this.userByName(ref));
  }

  async usersByOids(oids: readonly string[]): Promise<UserDoc[]> {
    if (oids.length === 0) return [];
    // One batch for all: no getMore round trips for a page of a reconciliation.
    return this.collections.users.find({ _id: { $in: [...oids] } } as unknown as Filter<UserDoc>, { ...noId, batchSize: oids.length }).toArray();
  }

  /** The current version of each of these users (the ones that exist), without reading them whole. */
  async userVersions(oids: readonly string[]): Promise<Map<string, number>> {
    if (oids.length === 0) return new Map();
    const found = await this.collections.users
      .find({ _id: { $in: [...oids] } } as unknown as Filter<UserDoc>, { projection: { _id: 1, version: 1 }, batchSize: oids.length })
      .toArray();
    return new Map(found.map((u) => [(u as unknown as { _id: string })._id, u.version]));
  }

  /**
   * Users matching a correlation condition (at most `limit`). Under a matching rule other than exact the
   * answer may hold more users than the rule matches (case and accents are ignored): narrow it with
   * userMatchesCondition.
   */
  async usersMatching(condition: CorrelationCondition, limit: number): Promise<UserDoc[]> {
    const found = this.collections.users.find(correlationFilter(condition) as Filter<UserDoc>, noId);
    if (hasMatchingRule(condition)) found.collation(ignoringCaseCollation);
    return found.limit(limit).toArray();
  }

  /** Throws a duplicate-key error (code 11000) when the name is taken. */
  async insertUser(user: UserDoc): Promise<void> {
    await this.collections.users.insertOne(withId(user) as never);
  }

  async deleteUser(oid: string): Promise<void> {
    await this.collections.users.deleteOne(byId(oid));
  }

  /** Removes the user only if he is still at `expectedVersion`; false when he changed (or is gone). */
  async deleteUserAtVersion(oid: string, expectedVersion: number): Promise<boolean> {
    const { deletedCount } = await this.collections.users.deleteOne({ _id: oid, version: expectedVersion } as unknown as Filter<UserDoc>);
    return deletedCount === 1;
  }

  /** Applies the patch only if the user is still at `expectedVersion`; VersionConflictError otherwise. */
  async updateUser(oid: string, expectedVersion: number, patch: Patch): Promise<UserDoc> {
    return updateVersioned(this.collections.users, oid, expectedVersion, updateOf(patch));
  }

  /** Sets some properties whatever the user's version (they depend on nothing else of the user). */
  async setUserProperties(oid: string, set: Record<string, unknown>): Promise<UserDoc | null> {
    return updateAtomically(this.collections.users, oid, updateOf({ set }));
  }

  /** Removes the user's provisioning mark (`projectionDue`), unless a change after the one with `token` renewed it. */
  async clearProjectionDue(oid: string, token: string): Promise<void> {
    await updateAtomically(this.collections.users, oid, updateOf({ unset: ['projectionDue'] }), { 'projectionDue.token': token });
  }

  /**
   * Users changed before `before` whose accounts were never provisioned after it, not being deleted, and not
   * handed over since `handedOverBefore` (oldest first, at most `limit`).
   */
  async usersWithProjectionDue(options: { before: string; handedOverBefore: string; limit: number }): Promise<Array<Pick<UserDoc, 'oid' | 'projectionDue'> & { metadata?: Partial<UserDoc['metadata']> }>> {
    const filter = {
      'projectionDue.since': { $lt: options.before },
      deletion: { $exists: false },
      $or: [{ 'projectionDue.handedOverAt': { $exists: false } }, { 'projectionDue.handedOverAt': { $lt: options.handedOverBefore } }],
    };
    return this.collections.users
      .find(filter as Filter<UserDoc>, { projection: { _id: 0, oid: 1, projectionDue: 1, 'metadata.modifyChannel': 1 }, sort: { 'projectionDue.since': 1 }, limit: options.limit })
      .toArray();
  }

  /** Notes that the user's provisioning was asked for at `now` (the mark stays until it is done). */
  async markProjectionHandedOver(oid: string, token: string, now: string): Promise<void> {
    await updateAtomically(this.collections.users, oid, updateOf({ set: { 'projectionDue.handedOverAt': now } }), { 'projectionDue.token': token });
  }

  /** Adds the shadow to its owner's links, a user's or a role's (idempotent). */
  async linkShadow(userOid: string, shadowOid: string): Promise<void> {
    const linked = await updateAtomically(this.collections.users, userOid, updateOf({}, { $addToSet: { linkRef: shadowOid } }), { linkRef: { $ne: shadowOid } });
    if (!linked) await updateAtomically(this.collections.roles, userOid, updateOf({}, { $addToSet: { linkRef: shadowOid } }), { linkRef: { $ne: shadowOid } });
  }

  /** Adds each user's shadows to his links, in one write (idempotent). */
  async linkShadows(links: ReadonlyArray<{ userOid: string; shadowOids: string[] }>): Promise<void> {
    if (links.length === 0) return;
    await this.collections.users.bulkWrite(
      links.map(({ userOid, shadowOids }) => ({
        updateOne: { filter: byId<UserDoc>(userOid), update: updateOf<UserDoc>({}, { $addToSet: { linkRef: { $each: shadowOids } } } as never) },
      })),
      { ordered: false },
    );
  }

  /** Removes the shadow from its owner's links, a user's or a role's (idempotent). */
  async unlinkShadow(userOid: string, shadowOid: string): Promise<void> {
    const unlinked = await updateAtomically(this.collections.users, userOid, updateOf({}, { $pull: { linkRef: shadowOid } }), { linkRef: shadowOid });
    if (!unlinked) await updateAtomically(this.collections.roles, userOid, updateOf({}, { $pull: { linkRef: shadowOid } }), { linkRef: shadowOid });
  }

  /** Users by name prefix (or a part of the name), in name order, a page at a time. */
  async listUsers(options: { nameStartsWith?: string; nameContains?: string; after?: string; limit: number }): Promise<UserDoc[]> {
    const filter: Record<string, unknown> = {};
    if (options.nameStartsWith) filter.name = { $regex: `^${escapeRegex(options.nameStartsWith)}` };
    if (options.nameContains) filter.name = { $regex: escapeRegex(options.nameContains), $options: 'i' };
    if (options.after) filter.name = { ...((filter.name as object) ?? {}), $gt: options.after };
    return this.collections.users.find(filter as Filter<UserDoc>, noId).sort({ name: 1 }).limit(options.limit).toArray();
  }

  // ---- shadows ---------------------------------------------------------------------------

  async shadow(oid: string): Promise<ShadowDoc | null> {
    return this.collections.shadows.findOne(byId(oid), noId);
  }

  async shadowsByOids(oids: readonly string[]): Promise<ShadowDoc[]> {
    if (oids.length === 0) return [];
    return this.collections.shadows.find({ _id: { $in: [...oids] } } as unknown as Filter<ShadowDoc>, noId).toArray();
  }

  /**
   * The shadows a user links to, in one read. A link counts when both sides say so: a link or unlink
   * cut short between its two writes leaves one side only, and the next synchronization of the account
   * completes or undoes it.
   */
  async linkedShadows(user: Pick<UserDoc, 'oid' | 'linkRef'>): Promise<ShadowDoc[]> {
    return (await this.shadowsByOids(user.linkRef)).filter((shadow) => shadow.ownerRef === user.oid);
  }

  /**
   * The shadow of a resource object: by its primary identifier, else by its name (case-insensitive); a
   * shadow of another object (another primary identifier) is not it. A live shadow wins over a dead one.
   */
  async shadowByIdentifiers(resourceRef: string, ids: ShadowIdentifiers): Promise<ShadowDoc | null> {
    const { shadows } = this.collections;
    if (ids.primaryIdentifier) {
      // The `$type` lets the planner use the partial unique index (an equality alone doesn't).
      const found = await shadows.findOne({ resourceRef, primaryIdentifier: { $eq: ids.primaryIdentifier, $type: 'string' } }, noId);
      if (found) return found;
    }
    if (!ids.secondaryIdentifier) return null;
    const candidates = await shadows
      .find({ resourceRef, secondaryIdentifier: ids.secondaryIdentifier, ...(ids.primaryIdentifier ? { primaryIdentifier: { $in: [null, ids.primaryIdentifier] } } : {}) }, noId)
      .collation(nameCollation)
      .toArray();
    candidates.sort((a, b) => Number(a.dead) - Number(b.dead) || Number(b.exists) - Number(a.exists) || b.metadata.createTimestamp.localeCompare(a.metadata.createTimestamp));
    return candidates[0] ?? null;
  }

  async shadowsOfOwner(ownerRef: string): Promise<ShadowDoc[]> {
    return this.collections.shadows.find({ ownerRef }, noId).toArray();
  }

  /** The live shadows these owners (roles) are linked to, of one kind, in one read. */
  async liveShadowsOfOwners(ownerRefs: readonly string[], kind: ShadowDoc['kind']): Promise<ShadowDoc[]> {
    if (ownerRefs.length === 0) return [];
    return this.collections.shadows.find({ ownerRef: { $in: [...ownerRefs] }, kind, dead: false }, noId).toArray();
  }

  /** Per resource: its shadows, those that exist on the resource, the dead ones, and those with pending operations. */
  async shadowCountsByResource(): Promise<Map<string, { total: number; existing: number; dead: number; pending: number }>> {
    const rows = await this.collections.shadows
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

  /** Shadows for people to look at, in name order. */
  async findShadows(query: ShadowQuery): Promise<ShadowDoc[]> {
    const filter: Record<string, unknown> = {};
    if (query.resourceRef) filter.resourceRef = query.resourceRef;
    if (query.ownerRef) filter.ownerRef = query.ownerRef;
    if (query.pending) Object.assign(filter, hasPending);
    return this.collections.shadows.find(filter as Filter<ShadowDoc>, noId).sort({ secondaryIdentifier: 1 }).toArray();
  }

  /** Shadows that still have operations to do (of one resource or one owner, or of all). */
  async shadowsWithPendingOperations(
    of: { resourceRef?: string; ownerRef?: string } = {},
  ): Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>> {
    const filter = { ...hasPending, ...(of.resourceRef ? { resourceRef: of.resourceRef } : {}), ...(of.ownerRef ? { ownerRef: of.ownerRef } : {}) };
    return this.collections.shadows
      .find(filter as Filter<ShadowDoc>, { projection: { _id: 0, oid: 1, resourceRef: 1, pendingOperations: 1 } })
      .toArray() as Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>>;
  }

  /**
   * Inserts a shadow; false when another shadow already holds its resource object's primary identifier.
   * A live shadow still holding its name is stale (the resource says the name is this object's now).
   */
  async insertShadow(shadow: ShadowDoc): Promise<boolean> {
    try {
      await this.releasingStaleName(shadow, () => this.collections.shadows.insertOne(withId(shadow) as never));
      return true;
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
  }

  async deleteShadow(oid: string): Promise<void> {
    await this.collections.shadows.deleteOne(byId(oid));
  }

  /** Sets or unsets some fields whatever the shadow's version; null when the shadow is gone. */
  async patchShadow(oid: string, patch: Patch): Promise<ShadowDoc | null> {
    return this.releasingStaleName({ oid, ...patch.set }, () => updateAtomically(this.collections.shadows, oid, updateOf(patch)));
  }

  /**
   * Read-modify-write of a shadow: `change` sees the current shadow (first `known`, the caller's copy,
   * when given); lost races are re-read and retried.
   */
  async modifyShadow(oid: string, change: (current: ShadowDoc) => Patch | null, known?: ShadowDoc): Promise<ShadowDoc | null> {
    let last: Patch | null = null;
    return this.releasingStaleName(
      () => ({ oid, ...last?.set }),
      () =>
        modifyWithRetry(
          this.collections.shadows,
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
    return updateAtomically(this.collections.shadows, shadowOid, updateOf({ set }), { 'pendingOperations.id': operationId });
  }

  /**
   * Marks the shadow's first pending operation as executing, unless someone else executes it (until
   * `until`): the one claim that lets exactly one executor talk to the resource for this account.
   */
  async claimPendingOperation(shadowOid: string, operationId: string, now: string, until: string, by?: string): Promise<ShadowDoc | null> {
    return updateAtomically(
      this.collections.shadows,
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
    await this.collections.shadows.bulkWrite(
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
  async shadowsAwaitingExecutor(options: { now: string; queuedBefore: string; limit: number }): Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>> {
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
    return this.collections.shadows
      .find(filter as Filter<ShadowDoc>, { projection: { _id: 0, oid: 1, resourceRef: 1, pendingOperations: 1 }, limit: options.limit })
      .toArray() as Promise<Array<Pick<ShadowDoc, 'oid' | 'resourceRef' | 'pendingOperations'>>>;
  }

  /** Removes a pending operation and sets the fields its outcome gives the shadow, in one update. */
  async finishPendingOperation(shadowOid: string, operationId: string, patch: Patch): Promise<ShadowDoc | null> {
    return this.releasingStaleName({ oid: shadowOid, ...patch.set }, () =>
      updateAtomically(this.collections.shadows, shadowOid, updateOf(patch, { $pull: { pendingOperations: { id: operationId } } })),
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
      const current = shadow.oid ? await this.shadow(shadow.oid) : null;
      const resourceRef = shadow.resourceRef ?? current?.resourceRef;
      const name = shadow.secondaryIdentifier ?? current?.secondaryIdentifier;
      if (!resourceRef || !name) throw e;
      await this.collections.shadows.updateMany(
        { resourceRef, secondaryIdentifier: name, exists: true, dead: false, _id: { $ne: shadow.oid } } as unknown as Filter<ShadowDoc>,
        updateOf({ set: { exists: false } }),
        { collation: nameCollation },
      );
      return write();
    }
  }

  // ---- reconciliation: shadows in bulk ---------------------------------------------------------

  /** The shadows of these resource objects (by primary identifier), in one read. */
  async shadowsByPrimaryIdentifiers(resourceRef: string, primaryIdentifiers: readonly string[]): Promise<ShadowDoc[]> {
    if (primaryIdentifiers.length === 0) return [];
    return this.collections.shadows
      .find({ resourceRef, primaryIdentifier: { $in: [...primaryIdentifiers], $type: 'string' } }, { ...noId, batchSize: primaryIdentifiers.length })
      .toArray();
  }

  /**
   * Notes that a run saw these objects on the resource: one write for the page. It is bookkeeping of
   * the run, not a change of the shadow, so the version stays.
   */
  async markShadowsSeen(resourceRef: string, primaryIdentifiers: readonly string[], runId: string): Promise<void> {
    if (primaryIdentifiers.length === 0) return;
    await this.collections.shadows.updateMany(
      { resourceRef, primaryIdentifier: { $in: [...primaryIdentifiers], $type: 'string' }, lastSeenRunId: { $ne: runId } },
      { $set: { lastSeenRunId: runId } },
    );
  }

  /**
   * Shadows of objects that existed before the run started and the run did not see: the next page in
   * oid order after `after`.
   */
  async unseenShadows(resourceRef: string, runId: string, options: { after?: string; createdBefore: string; limit: number }): Promise<ShadowDoc[]> {
    const filter = {
      resourceRef,
      dead: false,
      ...(options.after ? { _id: { $gt: options.after } } : {}),
      exists: true,
      primaryIdentifier: { $type: 'string' },
      lastSeenRunId: { $ne: runId },
      'metadata.createTimestamp': { $lt: options.createdBefore },
    } as unknown as Filter<ShadowDoc>;
    return this.collections.shadows.find(filter, noId).sort({ _id: 1 }).limit(options.limit).toArray();
  }

  /**
   * Live shadows of one object type of the resource disabled instead of deleted before `before`: the next
   * page in oid order after `after`.
   */
  async deprovisionedShadows(
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
    return this.collections.shadows.find(filter, noId).sort({ _id: 1 }).limit(options.limit).toArray();
  }

  /** Live shadows of the resource (the expected size of a run). */
  async countLiveShadows(resourceRef: string): Promise<number> {
    return this.collections.shadows.countDocuments({ resourceRef, dead: false, exists: true });
  }

  /** Removes shadows of objects gone from the resource (no owner, nothing pending) not changed since `before`. */
  async removeGoneShadows(resourceRef: string, before: string): Promise<number> {
    const { deletedCount } = await this.collections.shadows.deleteMany({
      resourceRef,
      $or: [{ dead: true }, { exists: false }],
      ownerRef: null,
      'pendingOperations.0': { $exists: false },
      'metadata.modifyTimestamp': { $lt: before },
    } as unknown as Filter<ShadowDoc>);
    return deletedCount;
  }

  // ---- bulk creation (import) ----------------------------------------------------------------

  /** Inserts users in one write; returns the oids refused because the name (or oid) is taken. */
  async insertUsers(users: readonly UserDoc[]): Promise<Set<string>> {
    return insertAll(this.collections.users, users);
  }

  /** Inserts shadows in one write; returns the oids refused by a unique index (the object or name is known). */
  async insertShadows(shadows: readonly ShadowDoc[]): Promise<Set<string>> {
    return insertAll(this.collections.shadows, shadows);
  }

  async deleteUsers(oids: readonly string[]): Promise<void> {
    if (oids.length > 0) await this.collections.users.deleteMany({ _id: { $in: [...oids] } } as unknown as Filter<UserDoc>);
  }

  async deleteShadows(oids: readonly string[]): Promise<void> {
    if (oids.length > 0) await this.collections.shadows.deleteMany({ _id: { $in: [...oids] } } as unknown as Filter<ShadowDoc>);
  }

  /** Finishes each shadow's pending operation (if still there) with its patch, in one write. */
  async finishPendingOperations(finished: ReadonlyArray<{ shadowOid: string; operationId: string; patch: Patch }>): Promise<void> {
    if (finished.length === 0) return;
    try {
      await this.collections.shadows.bulkWrite(
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

  // ---- live sync ------------------------------------------------------------------------------

  /** Where live sync of the resource is in its changelog; null before it first ran. */
  async syncToken(resourceRef: string): Promise<SyncTokenDoc | null> {
    return this.collections.syncTokens.findOne(byId(`livesync:${resourceRef}`), noId);
  }

  /** Moves the resource's live-sync position (written only once what came before it is applied or handed over). */
  async saveSyncToken(resourceRef: string, token: string, now: string): Promise<void> {
    const oid = `livesync:${resourceRef}`;
    await this.collections.syncTokens.updateOne(
      byId(oid),
      { $set: { oid, resourceRef, token, updatedAt: now }, $inc: { version: 1 } },
      { upsert: true },
    );
  }

  /**
   * Makes this workflow the resource's live sync; returns the workflow id that holds it instead, if another
   * does (the caller decides whether that one still runs).
   */
  async claimLiveSync(resourceRef: string, workflowId: string, options: { takeOver: boolean }): Promise<string | null> {
    const oid = `livesync:${resourceRef}`;
    const current = await this.collections.syncTokens.findOne(byId(oid), noId);
    if (current?.workflowId && current.workflowId !== workflowId && !options.takeOver) return current.workflowId;
    await this.collections.syncTokens.updateOne(byId(oid), { $set: { oid, resourceRef, workflowId }, $inc: { version: 1 } }, { upsert: true });
    return null;
  }

  /** Records the operator's stop or pause of the resource's live sync; null clears it (a start or resume). */
  async recordLiveSyncDecision(resourceRef: string, decision: LiveSyncDecision | null): Promise<void> {
    const oid = `livesync:${resourceRef}`;
    if (decision) {
      await this.collections.syncTokens.updateOne(byId(oid), { $set: { oid, resourceRef, operatorDecision: decision }, $inc: { version: 1 } }, { upsert: true });
    } else {
      await this.collections.syncTokens.updateOne({ ...byId(oid), operatorDecision: { $exists: true } }, { $unset: { operatorDecision: '' }, $inc: { version: 1 } });
    }
  }

  async releaseLiveSync(resourceRef: string, workflowId: string): Promise<void> {
    await this.collections.syncTokens.updateOne({ _id: `livesync:${resourceRef}`, workflowId } as unknown as Filter<SyncTokenDoc>, { $unset: { workflowId: '' }, $inc: { version: 1 } });
  }

  /** Stores change events in arrival order, in one write; an event id seen before is a duplicate, not stored again. */
  async acceptChangeEvents(events: ReadonlyArray<Omit<ChangeEventDoc, 'done'>>): Promise<{ accepted: number; duplicates: number }> {
    if (events.length === 0) return { accepted: 0, duplicates: 0 };
    try {
      await this.collections.changeEvents.insertMany(events.map((e) => ({ ...e, done: false })), { ordered: false });
      return { accepted: events.length, duplicates: 0 };
    } catch (e) {
      const refused = duplicateKeyIndexes(e);
      if (!refused) throw e;
      return { accepted: events.length - refused.length, duplicates: refused.length };
    }
  }

  /** The resource's change events not applied yet, oldest first. */
  async pendingChangeEvents(resourceRef: string, limit: number): Promise<Array<{ id: string; change: ResourceChange }>> {
    const found = await this.collections.changeEvents.find({ resourceRef, done: false }, { projection: { change: 1 }, batchSize: limit }).sort({ _id: 1 }).limit(limit).toArray();
    return found.map((e) => ({ id: e._id.toHexString(), change: e.change }));
  }

  async countPendingChangeEvents(resourceRef: string): Promise<number> {
    return this.collections.changeEvents.countDocuments({ resourceRef, done: false });
  }

  async finishChangeEvents(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.collections.changeEvents.updateMany({ _id: { $in: ids.map((id) => ObjectId.createFromHexString(id)) } }, { $set: { done: true, doneAt: new Date() } });
  }

  // ---- reconciliation and import runs -------------------------------------------------------

  /** Stores a new running run, unless another is running on the resource: then that one is returned. */
  async startRun(run: RunDoc): Promise<{ started: true } | { started: false; running: RunDoc }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.collections.runs.insertOne(withId(run) as unknown as RunDoc);
        return { started: true };
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        const existing = await this.run(run.oid);
        if (existing) return existing.state === 'running' ? { started: true } : { started: false, running: existing };
        const running = await this.collections.runs.findOne({ resourceRef: run.resourceRef, state: 'running' }, noId);
        if (running) return { started: false, running };
      }
    }
    throw new Error(`could not start a run on resource ${run.resourceRef}`);
  }

  async run(oid: string): Promise<RunDoc | null> {
    return this.collections.runs.findOne(byId(oid), noId);
  }

  async runningRun(resourceRef: string): Promise<RunDoc | null> {
    return this.collections.runs.findOne({ resourceRef, state: 'running' }, noId);
  }

  /** Records a running run's phase and counts so far. */
  async recordRunProgress(oid: string, progress: { phase: string; stats: RunStats; errors?: RunError[] }): Promise<void> {
    await this.collections.runs.updateOne(byId(oid), {
      $set: { phase: progress.phase, stats: progress.stats },
      ...(progress.errors?.length ? { $push: { errors: { $each: progress.errors, $slice: -100 } } } : {}),
      $inc: { version: 1 },
    });
  }

  /** Ends a run (finished, failed, or abandoned by a dead workflow): the resource is free for the next one. */
  async endRun(
    oid: string,
    end: { state: Exclude<RunDoc['state'], 'running'>; finishedAt: string; stats?: RunStats; message?: string; errors?: RunError[] },
  ): Promise<void> {
    await this.collections.runs.updateOne(byId(oid), {
      $set: { state: end.state, phase: end.state, finishedAt: end.finishedAt, ...(end.stats ? { stats: end.stats } : {}), ...(end.message ? { message: end.message } : {}) },
      ...(end.errors?.length ? { $push: { errors: { $each: end.errors, $slice: -100 } } } : {}),
      $inc: { version: 1 },
    });
  }

  /** Runs, newest first. */
  async listRuns(options: { resourceRef?: string; limit: number }): Promise<RunDoc[]> {
    return this.collections.runs
      .find(options.resourceRef ? { resourceRef: options.resourceRef } : {}, noId)
      .sort({ startedAt: -1 })
      .limit(options.limit)
      .toArray();
  }

  // ---- operations given up by an operator -------------------------------------------------

  /** Records that a stuck workflow run was given up (idempotent). */
  async recordOperationCancellation(cancellation: Omit<OperationCancellationDoc, '_id'>): Promise<void> {
    const _id = `${cancellation.workflowId}/${cancellation.runId}`;
    await this.collections.operationCancellations.updateOne({ _id }, { $setOnInsert: { _id, ...cancellation } }, { upsert: true });
  }

  /** Which of these workflow runs (`<workflowId>/<runId>`) an operator gave up. */
  async cancelledOperations(runKeys: readonly string[]): Promise<Set<string>> {
    if (runKeys.length === 0) return new Set();
    const found = await this.collections.operationCancellations.find({ _id: { $in: [...runKeys] } }, { projection: { _id: 1 } }).toArray();
    return new Set(found.map((d) => d._id));
  }

  // ---- audit -----------------------------------------------------------------------------

  async writeAudit(records: AuditRecord[]): Promise<void> {
    if (records.length > 0) await this.collections.audit.insertMany(records.map((r) => ({ ...r })));
  }
}

function findByRef<T extends { oid: string; name: string }>(objects: T[], ref: string): T | null {
  return objects.find((o) => o.oid === ref) ?? objects.find((o) => o.name === ref) ?? null;
}

/** The text as a regular expression matching it literally (MongoDB refuses a pattern holding a NUL: it is written \x00). */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\0/g, '\\x00');
}

/** Inserts the objects in one unordered write; the oids a unique index refused come back, other errors are thrown. */
async function insertAll<T extends { oid: string }>(collection: Collection<T>, objects: readonly T[]): Promise<Set<string>> {
  if (objects.length === 0) return new Set();
  try {
    await collection.insertMany(objects.map((o) => withId(o)) as never, { ordered: false });
    return new Set();
  } catch (e) {
    const refused = duplicateKeyIndexes(e);
    if (!refused) throw e;
    return new Set(refused.map((i) => objects[i].oid));
  }
}

/** The indexes of a bulk write's operations a unique index refused; null when it failed otherwise. */
function duplicateKeyIndexes(e: unknown): number[] | null {
  const writeErrors = (e as { writeErrors?: Array<{ code?: number; index: number }> | { code?: number; index: number } }).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length === 0 || list.some((w) => w.code !== 11000)) return null;
  return list.map((w) => w.index);
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
