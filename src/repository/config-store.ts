/**
 * The applied configuration: resources, roles and object templates, and its generation (`storage`), which
 * every `tally apply` increments so that a cached snapshot is read again only when something changed.
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { ObjectTemplateConfig, ResourceConfig, RoleConfig } from '../schema/config';
import { byId, collectionNames, noId, withId } from './documents';
import { updateAtomically, updateOf, updateVersioned, type Patch } from './versioned';

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

interface StorageDoc {
  _id: string;
  generation?: number;
}

export class ConfigStore {
  private readonly resources: Collection<StoredResource>;
  private readonly roles: Collection<StoredRole>;
  private readonly objectTemplates: Collection<StoredObjectTemplate>;
  private readonly storage: Collection<StorageDoc>;
  private cached: Promise<ConfigSnapshot> | undefined;
  private snapshotCheckedAt = 0;

  /** @param options.configCheckIntervalMs as `RepositoryOptions` says (`openRepository`). */
  constructor(
    db: Db,
    private readonly options: { configCheckIntervalMs?: number } = {},
  ) {
    this.resources = db.collection(collectionNames.resources);
    this.roles = db.collection(collectionNames.roles);
    this.objectTemplates = db.collection(collectionNames.objectTemplates);
    this.storage = db.collection(collectionNames.storage);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([this.resources, this.roles, this.objectTemplates].map((c) => (c as Collection<StoredConfig>).createIndex({ name: 1 }, { unique: true })));
  }

  private collectionOf(kind: ConfigKind): Collection<StoredConfig> {
    const { resources, roles, objectTemplates } = this;
    return (kind === 'Resource' ? resources : kind === 'Role' ? roles : objectTemplates) as unknown as Collection<StoredConfig>;
  }

  /**
   * Every resource, role and template as applied now: the configuration's generation is looked at on every
   * call (one small read), and everything is read again only when `tally apply` changed something. Work a
   * user or an apply asked for uses this one, so it never runs on a configuration older than its request.
   */
  async snapshot(): Promise<ConfigSnapshot> {
    return this.snapshotCheckedWithin(0);
  }

  /**
   * The same, looked at again at most once per `configCheckIntervalMs`: for bulk pages and slices, where a
   * configuration that many milliseconds old will do (a run's start looks with `snapshot()`).
   */
  async recentSnapshot(): Promise<ConfigSnapshot> {
    return this.snapshotCheckedWithin(this.options.configCheckIntervalMs ?? 1000);
  }

  private async snapshotCheckedWithin(ms: number): Promise<ConfigSnapshot> {
    const cached = this.cached && (await this.cached.catch(() => undefined));
    if (cached && ms > 0 && Date.now() - this.snapshotCheckedAt < ms) return cached;
    const checkedAt = Date.now();
    const generation = (await this.storage.findOne({ _id: 'config' }))?.generation ?? 0;
    this.snapshotCheckedAt = checkedAt;
    if (cached?.generation === generation) return cached;
    this.cached = (async () => {
      const [resources, roles, objectTemplates] = await Promise.all([
        this.resources.find({}, noId).toArray(),
        this.roles.find({}, noId).toArray(),
        this.objectTemplates.find({}, noId).toArray(),
      ]);
      return { generation, resources, roles, objectTemplates } as ConfigSnapshot;
    })();
    return this.cached;
  }

  async resource(ref: string): Promise<StoredResource | null> {
    return this.findConfig((snapshot) => snapshot.resources, ref);
  }

  async role(ref: string): Promise<StoredRole | null> {
    return this.findConfig((snapshot) => snapshot.roles, ref);
  }

  /** By oid or name; a miss looks at the stored configuration again (it may have just been applied elsewhere). */
  private async findConfig<T extends StoredConfig>(of: (snapshot: ConfigSnapshot) => T[], ref: string): Promise<T | null> {
    const found = findByRef(of(await this.recentSnapshot()), ref);
    return found ?? findByRef(of(await this.snapshot()), ref);
  }

  async object(kind: ConfigKind, oid: string): Promise<StoredConfig | null> {
    return this.collectionOf(kind).findOne(byId(oid), noId);
  }

  /** How many objects of this kind are applied. */
  async count(kind: ConfigKind): Promise<number> {
    return this.collectionOf(kind).countDocuments();
  }

  /** Oid and name of every configured object (with `default` where set). */
  async names(): Promise<Array<{ kind: ConfigKind; oid: string; name: string; default?: boolean }>> {
    const kinds: ConfigKind[] = ['Resource', 'ObjectTemplate', 'Role'];
    const isDefault = (o: StoredConfig) => ('default' in o && o.default === true ? { default: true } : {});
    const configured = await Promise.all(
      kinds.map(async (kind) =>
        (await this.collectionOf(kind).find({}, { projection: { _id: 0, oid: 1, name: 1, default: 1 } }).toArray()).map((o) => ({ kind, oid: o.oid, name: o.name, ...isDefault(o) })),
      ),
    );
    return configured.flat();
  }

  async insert(kind: ConfigKind, object: StoredConfig): Promise<void> {
    await this.collectionOf(kind).insertOne(withId(object) as never);
    await this.configChanged();
  }

  async replace(kind: ConfigKind, oid: string, expectedVersion: number, patch: Patch): Promise<void> {
    await updateVersioned(this.collectionOf(kind), oid, expectedVersion, updateOf(patch));
    await this.configChanged();
  }

  /** Marks a role as being deleted (idempotent); false when there is no such role. */
  async markRoleForDeletion(oid: string, now: string): Promise<boolean> {
    const marked = await updateAtomically(this.roles, oid, updateOf({ set: { deletion: { requestedAt: now } } }), { deletion: { $exists: false } });
    if (marked) await this.configChanged();
    return marked !== null || (await this.roles.countDocuments({ _id: oid, deletion: { $exists: true } } as unknown as Filter<StoredRole>)) > 0;
  }

  /** Removes a role marked for deletion whose projection has no shadow left. */
  async removeDeletedRole(oid: string): Promise<boolean> {
    const { deletedCount } = await this.roles.deleteOne({ _id: oid, deletion: { $exists: true }, linkRef: { $in: [null, []] } } as unknown as Filter<StoredRole>);
    if (deletedCount === 1) await this.configChanged();
    return deletedCount === 1;
  }

  /** Adds a shadow of the role's own projection to its links (idempotent); false when the role has it or is gone. */
  async linkRoleShadow(roleOid: string, shadowOid: string): Promise<boolean> {
    return (await updateAtomically(this.roles, roleOid, updateOf({}, { $addToSet: { linkRef: shadowOid } }), { linkRef: { $ne: shadowOid } })) !== null;
  }

  /** Removes a shadow from the role's links (idempotent). */
  async unlinkRoleShadow(roleOid: string, shadowOid: string): Promise<boolean> {
    return (await updateAtomically(this.roles, roleOid, updateOf({}, { $pull: { linkRef: shadowOid } }), { linkRef: shadowOid })) !== null;
  }

  private async configChanged(): Promise<void> {
    await this.storage.updateOne({ _id: 'config' }, { $inc: { generation: 1 } }, { upsert: true });
    this.snapshotCheckedAt = 0;
  }
}

function findByRef<T extends { oid: string; name: string }>(objects: T[], ref: string): T | null {
  return objects.find((o) => o.oid === ref) ?? objects.find((o) => o.name === ref) ?? null;
}
