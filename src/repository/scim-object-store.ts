/**
 * The users and groups services pushed over SCIM, per resource: what Tally's SCIM service provider
 * answers from and what the resource's connector reads. A user's `userName` is unique in its resource
 * (ignoring case); deleted objects are kept a day as tombstones, so a DELETE sent again is recognised.
 */
import type { Collection, Db, Filter } from 'mongodb';
import type { ScimFilter, ScimJson, ScimResourceType, StoredScimObject } from '../schema/scim';
import { collectionNames } from './documents';
import { VersionConflictError, isDuplicateKeyError } from './errors';

interface ScimObjectDoc {
  _id: string;
  resourceOid: string;
  type: ScimResourceType;
  /** The resource with dots in its top-level keys escaped (an extension's URN has `2.0`), so paths can reach into it. */
  resource: ScimJson;
  /** userName in lower case, for its uniqueness; absent on groups and tombstones. */
  uniqueName?: string;
  version: number;
  created: string;
  lastModified: string;
  deleted?: boolean;
  deletedAt?: Date;
}

const DOT = '\uFF0E';
const escapeKeys = (json: ScimJson): ScimJson => Object.fromEntries(Object.entries(json).map(([k, v]) => [k.replaceAll('.', DOT), v]));
const unescapeKeys = (json: ScimJson): ScimJson => Object.fromEntries(Object.entries(json).map(([k, v]) => [k.replaceAll(DOT, '.'), v]));

const uniqueNameOf = (type: ScimResourceType, resource: ScimJson) =>
  type === 'User' && typeof resource.userName === 'string' ? resource.userName.toLowerCase() : undefined;

function fromDoc(doc: ScimObjectDoc): StoredScimObject {
  return {
    id: doc._id,
    resourceOid: doc.resourceOid,
    type: doc.type,
    resource: unescapeKeys(doc.resource),
    version: doc.version,
    created: doc.created,
    lastModified: doc.lastModified,
    ...(doc.deleted ? { deleted: true } : {}),
  };
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Attributes SCIM compares exactly (RFC 7643 caseExact); other text ignores case. */
const CASE_EXACT = new Set(['id', 'externalId', 'meta.version']);

/** A SCIM attribute path as a document field: `id`, `meta.created`, or within the resource (an extension's URN escaped). */
function fieldOf(path: string): string {
  if (path === 'id') return '_id';
  if (path === 'meta.created') return 'created';
  if (path === 'meta.lastModified') return 'lastModified';
  const urn = /^(urn:.*):([^:]+)$/.exec(path);
  if (urn) return `resource.${urn[1]!.replaceAll('.', DOT)}.${urn[2]}`;
  return `resource.${path}`;
}

function queryOf(filter: ScimFilter): Filter<ScimObjectDoc> {
  switch (filter.op) {
    case 'and':
      return { $and: filter.filters.map(queryOf) };
    case 'or':
      return { $or: filter.filters.map(queryOf) };
    case 'not':
      return { $nor: [queryOf(filter.filter)] };
    case 'pr':
      return { [fieldOf(filter.path)]: { $exists: true, $nin: [null, '', []] } };
    default: {
      const field = fieldOf(filter.path);
      const { value } = filter;
      const text = typeof value === 'string' && !CASE_EXACT.has(filter.path);
      const pattern = (p: string) => new RegExp(p, 'i');
      switch (filter.op) {
        case 'eq':
          return { [field]: text ? pattern(`^${escapeRegex(value as string)}$`) : value };
        case 'ne':
          return { [field]: { $not: text ? pattern(`^${escapeRegex(value as string)}$`) : { $eq: value } } };
        case 'co':
          return { [field]: pattern(escapeRegex(String(value))) };
        case 'sw':
          return { [field]: pattern(`^${escapeRegex(String(value))}`) };
        case 'ew':
          return { [field]: pattern(`${escapeRegex(String(value))}$`) };
        default:
          return { [field]: { [`$${filter.op}`]: value } };
      }
    }
  }
}

export class ScimObjectStore {
  private readonly objects: Collection<ScimObjectDoc>;

  constructor(db: Db) {
    this.objects = db.collection(collectionNames.scimObjects);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.objects.createIndex({ resourceOid: 1, type: 1, uniqueName: 1 }, { unique: true, partialFilterExpression: { uniqueName: { $type: 'string' } }, name: 'one_user_per_name' }),
      this.objects.createIndex({ resourceOid: 1, type: 1, _id: 1 }, { name: 'objects_of_resource' }),
      this.objects.createIndex({ resourceOid: 1, 'resource.members.value': 1 }, { name: 'groups_of_member' }),
      this.objects.createIndex({ deletedAt: 1 }, { expireAfterSeconds: 86_400, name: 'deleted_objects_expire' }),
    ]);
  }

  /** Stores a new object; null when its userName is taken in the resource. */
  async insert(object: Omit<StoredScimObject, 'version' | 'deleted'>): Promise<StoredScimObject | null> {
    const uniqueName = uniqueNameOf(object.type, object.resource);
    const doc: ScimObjectDoc = {
      _id: object.id,
      resourceOid: object.resourceOid,
      type: object.type,
      resource: escapeKeys(object.resource),
      ...(uniqueName !== undefined ? { uniqueName } : {}),
      version: 1,
      created: object.created,
      lastModified: object.lastModified,
    };
    try {
      await this.objects.insertOne(doc);
    } catch (e) {
      if (isDuplicateKeyError(e)) return null;
      throw e;
    }
    return fromDoc(doc);
  }

  /** The object, a tombstone included; null when the resource never had it (or it expired). */
  async get(resourceOid: string, type: ScimResourceType, id: string): Promise<StoredScimObject | null> {
    const doc = await this.objects.findOne({ _id: id, resourceOid, type });
    return doc ? fromDoc(doc) : null;
  }

  async byUserName(resourceOid: string, userName: string): Promise<StoredScimObject | null> {
    const doc = await this.objects.findOne({ resourceOid, type: 'User', uniqueName: userName.toLowerCase() });
    return doc ? fromDoc(doc) : null;
  }

  /**
   * Replaces the object's resource if it is still at `expectedVersion`. Throws VersionConflictError when
   * it changed meanwhile (or is gone); null when the new userName is another user's.
   */
  async replace(object: StoredScimObject, resource: ScimJson, lastModified: string): Promise<StoredScimObject | null> {
    const uniqueName = uniqueNameOf(object.type, resource);
    try {
      const updated = await this.objects.findOneAndUpdate(
        { _id: object.id, resourceOid: object.resourceOid, version: object.version, deleted: { $ne: true } },
        {
          $set: { resource: escapeKeys(resource), lastModified, ...(uniqueName !== undefined ? { uniqueName } : {}) },
          ...(uniqueName === undefined ? { $unset: { uniqueName: '' } } : {}),
          $inc: { version: 1 },
        },
        { returnDocument: 'after' },
      );
      if (!updated) throw new VersionConflictError(collectionNames.scimObjects, object.id, object.version);
      return fromDoc(updated);
    } catch (e) {
      if (isDuplicateKeyError(e)) return null;
      throw e;
    }
  }

  /** Makes the object a tombstone (its name free again) if it is still at its version; throws VersionConflictError otherwise. */
  async markDeleted(object: StoredScimObject, at: string): Promise<StoredScimObject> {
    const updated = await this.objects.findOneAndUpdate(
      { _id: object.id, resourceOid: object.resourceOid, version: object.version, deleted: { $ne: true } },
      { $set: { deleted: true, deletedAt: new Date(at), lastModified: at }, $unset: { uniqueName: '' }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    if (!updated) throw new VersionConflictError(collectionNames.scimObjects, object.id, object.version);
    return fromDoc(updated);
  }

  /** A page of the objects that match `filter`, in the order they were created; `total` counts them all. */
  async list(resourceOid: string, type: ScimResourceType, filter: ScimFilter | undefined, skip: number, limit: number): Promise<{ total: number; objects: StoredScimObject[] }> {
    const query: Filter<ScimObjectDoc> = { resourceOid, type, deleted: { $ne: true }, ...(filter ? { $and: [queryOf(filter)] } : {}) };
    const [total, docs] = await Promise.all([
      this.objects.countDocuments(query),
      limit > 0 ? this.objects.find(query).sort({ created: 1, _id: 1 }).skip(skip).limit(limit).toArray() : Promise.resolve([]),
    ]);
    return { total, objects: docs.map(fromDoc) };
  }

  /** The live objects after `afterId` (in id order), for paged reading by the connector. */
  async page(resourceOid: string, type: ScimResourceType, afterId: string | undefined, limit: number): Promise<StoredScimObject[]> {
    const docs = await this.objects
      .find({ resourceOid, type, deleted: { $ne: true }, ...(afterId !== undefined ? { _id: { $gt: afterId } } : {}) })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(fromDoc);
  }

  /** The live groups that have `memberId` among their members. */
  async groupsOf(resourceOid: string, memberId: string): Promise<StoredScimObject[]> {
    const docs = await this.objects.find({ resourceOid, type: 'Group', deleted: { $ne: true }, 'resource.members.value': memberId }).toArray();
    return docs.map(fromDoc);
  }

  /** Reading the objects of one resource: what its connector is given. */
  ofResource(resourceOid: string) {
    return {
      get: async (type: ScimResourceType, id: string) => {
        const found = await this.get(resourceOid, type, id);
        return found && !found.deleted ? found : null;
      },
      byUserName: (userName: string) => this.byUserName(resourceOid, userName),
      page: (type: ScimResourceType, afterId: string | undefined, limit: number) => this.page(resourceOid, type, afterId, limit),
      groupsOf: (memberId: string) => this.groupsOf(resourceOid, memberId),
      markDeleted: async (type: ScimResourceType, id: string, at: string) => {
        const found = await this.get(resourceOid, type, id);
        if (!found || found.deleted) return false;
        await this.markDeleted(found, at);
        return true;
      },
    };
  }
}
