/**
 * Typed access to Tally's MongoDB collections. No business rules here: only storage, indexes and
 * optimistic versioning. Uses only features FerretDB 1.24 also has (no transactions, no $lookup).
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { ObjectTemplateConfig, ResourceConfig, RoleConfig } from '../schema/config';
import type { ShadowDoc, UserDoc } from '../schema/objects';
import type { Versioned } from './versioned';
import { byOid, withId } from './ids';
import {
  claimPrimaryIdentifier,
  findShadowByIdentifiers,
  indexShadowIdentifiers,
  unindexShadowIdentifiers,
  type ShadowIdentifiers,
} from './shadow-identifiers';
import { findUserByName, indexUserName, unindexUserName } from './user-names';

export { byOid, withId };

export type Stored<T> = T & { oid: string; version: number; storedAt: string };
export type StoredResource = Stored<ResourceConfig>;
export type StoredRole = Stored<RoleConfig>;
export type StoredObjectTemplate = Stored<ObjectTemplateConfig>;

export interface SyncTokenDoc extends Versioned {
  /** `livesync:<resourceOid>` */
  oid: string;
  resourceRef: string;
  token: string;
  updatedAt: string;
}

export interface RunDoc extends Versioned {
  oid: string;
  type: 'recon' | 'import';
  resourceRef: string;
  workflowId: string;
  startedAt: string;
  finishedAt?: string;
  state: 'running' | 'finished' | 'failed';
  stats: Record<string, number>;
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

export const collectionNames = {
  users: 'users',
  shadows: 'shadows',
  resources: 'resources',
  roles: 'roles',
  objectTemplates: 'objectTemplates',
  syncTokens: 'syncTokens',
  runs: 'runs',
  audit: 'audit',
} as const;

/** Bumped when stored documents change shape; `ensureIndexes` brings older data up to date. */
const storageVersion = 4;

export class Repository {
  readonly users: Collection<UserDoc>;
  readonly shadows: Collection<ShadowDoc>;
  readonly resources: Collection<StoredResource>;
  readonly roles: Collection<StoredRole>;
  readonly objectTemplates: Collection<StoredObjectTemplate>;
  readonly syncTokens: Collection<SyncTokenDoc>;
  readonly runs: Collection<RunDoc>;
  readonly audit: Collection<AuditRecord>;

  constructor(readonly db: Db) {
    this.users = db.collection(collectionNames.users);
    this.shadows = db.collection(collectionNames.shadows);
    this.resources = db.collection(collectionNames.resources);
    this.roles = db.collection(collectionNames.roles);
    this.objectTemplates = db.collection(collectionNames.objectTemplates);
    this.syncTokens = db.collection(collectionNames.syncTokens);
    this.runs = db.collection(collectionNames.runs);
    this.audit = db.collection(collectionNames.audit);
  }

  async ensureIndexes(): Promise<void> {
    await this.upgradeStorage();
    await Promise.all([
      this.users.createIndex({ oid: 1 }, { unique: true }),
      this.users.createIndex({ name: 1 }, { unique: true }),
      this.shadows.createIndex({ oid: 1 }, { unique: true }),
      this.shadows.createIndex({ resourceRef: 1, primaryIdentifier: 1 }),
      this.shadows.createIndex({ resourceRef: 1, secondaryIdentifier: 1 }),
      this.shadows.createIndex({ ownerRef: 1 }),
      ...[this.db.collection(collectionNames.resources), this.db.collection(collectionNames.roles), this.db.collection(collectionNames.objectTemplates)].flatMap((c) => [
        c.createIndex({ oid: 1 }, { unique: true }),
        c.createIndex({ name: 1 }, { unique: true }),
      ]),
      this.syncTokens.createIndex({ oid: 1 }, { unique: true }),
      this.runs.createIndex({ oid: 1 }, { unique: true }),
      this.audit.createIndex({ objectOid: 1 }),
    ]);
  }

  /** Version 1 stored objects under generated ObjectIds: re-store them under their oid (and see below). */
  private async upgradeStorage(): Promise<void> {
    const meta = this.db.collection<{ _id: string; version: number }>('storage');
    if (((await meta.findOne({ _id: 'layout' }))?.version ?? 1) >= storageVersion) return;
    for (const name of [collectionNames.users, collectionNames.shadows, collectionNames.resources, collectionNames.roles, collectionNames.objectTemplates]) {
      const collection = this.db.collection(name);
      for (const doc of await collection.find({}).toArray()) {
        if (typeof doc.oid !== 'string' || (doc._id as unknown) === doc.oid) continue;
        const { _id, ...rest } = doc;
        await collection.deleteOne({ _id });
        await collection.insertOne({ ...rest, _id: doc.oid } as never);
      }
    }
    // Version 3 finds shadows through identifier keys: build them for the shadows there are.
    for (const shadow of await this.shadows.find({}, { projection: { _id: 0 } }).toArray()) await indexShadowIdentifiers(this.db, shadow);
    // Version 4 finds users by name through name keys.
    for (const user of await this.users.find({}, { projection: { _id: 0, oid: 1, name: 1 } }).toArray()) await indexUserName(this.db, user);
    await meta.updateOne({ _id: 'layout' }, { $set: { version: storageVersion } }, { upsert: true });
  }

  /** Finds a configuration object by oid or by name. */
  async findConfig<T extends { oid: string; name: string }>(collection: Collection<T>, ref: string): Promise<T | null> {
    const byId = await collection.findOne(byOid<T>(ref), { projection: { _id: 0 } });
    return (byId ?? (await collection.findOne({ name: ref } as Filter<T>, { projection: { _id: 0 } }))) as T | null;
  }

  async allConfig<T extends { oid: string }>(collection: Collection<T>): Promise<T[]> {
    return (await collection.find({}, { projection: { _id: 0 } }).toArray()) as unknown as T[];
  }

  async user(oid: string): Promise<UserDoc | null> {
    return this.users.findOne(byOid<UserDoc>(oid), { projection: { _id: 0 } });
  }

  async userByName(name: string): Promise<UserDoc | null> {
    return findUserByName(this.db, this.users, name);
  }

  async userByRef(ref: string): Promise<UserDoc | null> {
    return (await this.user(ref)) ?? (await this.userByName(ref));
  }

  /**
   * Users matching a correlation filter. The seeds' correlation, one name, is a key lookup; anything
   * else is a query (which FerretDB answers by scanning the users).
   */
  async usersMatching(filter: Record<string, unknown>, limit: number): Promise<UserDoc[]> {
    const keys = Object.keys(filter);
    if (keys.length === 1 && keys[0] === 'name' && typeof filter.name === 'string') {
      const user = await this.userByName(filter.name);
      return user ? [user] : [];
    }
    return (await this.users.find(filter as Filter<UserDoc>, { projection: { _id: 0 } }).limit(limit).toArray()) as UserDoc[];
  }

  async shadow(oid: string): Promise<ShadowDoc | null> {
    return this.shadows.findOne(byOid<ShadowDoc>(oid), { projection: { _id: 0 } });
  }

  /** The shadows a user links to, each read by its oid. */
  async linkedShadows(user: Pick<UserDoc, 'linkRef'>): Promise<ShadowDoc[]> {
    const found = await Promise.all(user.linkRef.map((oid) => this.shadow(oid)));
    return found.filter((s): s is ShadowDoc => s !== null);
  }

  async insertUser(user: UserDoc): Promise<void> {
    await this.users.insertOne(withId(user) as never);
    await indexUserName(this.db, user);
  }

  /** Inserts a shadow; false when another shadow already holds its resource object's primary identifier. */
  async insertShadow(shadow: ShadowDoc): Promise<boolean> {
    // The shadow goes in before its claim, so a claim always points at a shadow that exists.
    await this.shadows.insertOne(withId(shadow) as never);
    if (!(await claimPrimaryIdentifier(this.db, this.shadows, shadow))) {
      await this.shadows.deleteOne(byOid<ShadowDoc>(shadow.oid));
      return false;
    }
    await indexShadowIdentifiers(this.db, shadow);
    return true;
  }

  async deleteUser(oid: string): Promise<void> {
    const user = await this.user(oid);
    await this.users.deleteOne(byOid<UserDoc>(oid));
    if (user) await unindexUserName(this.db, user);
  }

  async deleteShadow(oid: string): Promise<void> {
    const shadow = await this.shadow(oid);
    await this.shadows.deleteOne(byOid<ShadowDoc>(oid));
    if (shadow) await unindexShadowIdentifiers(this.db, shadow);
  }

  /** The shadow of a resource object, found through the identifier index (see shadow-identifiers.ts). */
  async shadowByIdentifiers(resourceRef: string, ids: ShadowIdentifiers): Promise<ShadowDoc | null> {
    return findShadowByIdentifiers(this.db, this.shadows, resourceRef, ids);
  }

  async shadowsOfOwner(ownerRef: string): Promise<ShadowDoc[]> {
    return this.shadows.find({ ownerRef }, { projection: { _id: 0 } }).toArray();
  }

  async writeAudit(records: AuditRecord[]): Promise<void> {
    if (records.length > 0) await this.audit.insertMany(records.map((r) => ({ ...r })));
  }
}
