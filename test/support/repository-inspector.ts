/**
 * Test-only: a look behind the repository's stores, at the raw documents, for assertions the stores have
 * no method for (counts with any filter, raw reads). It opens its own MongoDB client to the same database,
 * so the storage layout (collections, document shapes) is known here and in src/repository only.
 */
import { createHash } from 'node:crypto';
import { MongoClient, type Collection, type Document, type Filter, type FindOptions, type WithId } from 'mongodb';
// The repository's own names, not a copy: a renamed collection can't leave a test counting an empty one.
import { collectionNames } from '../../src/repository/documents';
import type { AuditRecord, ChangeEventDoc, OperationCancellationDoc, RunDoc, StoredObjectTemplate, StoredResource, StoredRole, SyncTokenDoc } from '../../src/repository/repository';
import type { Settings } from '../../src/runtime/settings';
import type { ShadowDoc, UserDoc } from '../../src/schema/objects';

/** One collection's documents, read (and for scratch collections written) as they are stored. */
export class StoredDocuments<T extends Document> {
  constructor(private readonly collection: Collection<T>) {}

  count(filter: Filter<T> = {}): Promise<number> {
    return this.collection.countDocuments(filter);
  }

  find(filter: Filter<T> = {}, options: FindOptions = {}): Promise<Array<WithId<T>>> {
    return this.collection.find(filter, options).toArray();
  }

  findOne(filter: Filter<T> = {}, options: FindOptions = {}): Promise<WithId<T> | null> {
    return this.collection.findOne(filter, options);
  }

  async insertOne(document: T): Promise<void> {
    await this.collection.insertOne(document as never);
  }

  async drop(): Promise<void> {
    await this.collection.drop();
  }
}

export class RepositoryInspector {
  readonly users: StoredDocuments<UserDoc>;
  readonly shadows: StoredDocuments<ShadowDoc>;
  readonly resources: StoredDocuments<StoredResource>;
  readonly roles: StoredDocuments<StoredRole>;
  readonly objectTemplates: StoredDocuments<StoredObjectTemplate>;
  readonly runs: StoredDocuments<RunDoc>;
  readonly operationCancellations: StoredDocuments<OperationCancellationDoc>;
  readonly syncTokens: StoredDocuments<SyncTokenDoc>;
  readonly changeEvents: StoredDocuments<ChangeEventDoc>;
  readonly audit: StoredDocuments<AuditRecord>;

  /** The client connects at its first command; `close()` ends it. */
  constructor(
    uri: string,
    private readonly database: string,
    private readonly client = new MongoClient(uri),
  ) {
    const documents = <T extends Document>(name: string) => new StoredDocuments<T>(client.db(database).collection<T>(name));
    this.users = documents(collectionNames.users);
    this.shadows = documents(collectionNames.shadows);
    this.resources = documents(collectionNames.resources);
    this.roles = documents(collectionNames.roles);
    this.objectTemplates = documents(collectionNames.objectTemplates);
    this.runs = documents(collectionNames.runs);
    this.operationCancellations = documents(collectionNames.operationCancellations);
    this.syncTokens = documents(collectionNames.syncTokens);
    this.changeEvents = documents(collectionNames.changeEvents);
    this.audit = documents(collectionNames.audit);
  }

  /** The repository of these settings (`MONGODB_URI`, `TALLY_DATABASE`). */
  static of(settings: Pick<Settings, 'MONGODB_URI' | 'TALLY_DATABASE'>): RepositoryInspector {
    return new RepositoryInspector(settings.MONGODB_URI, settings.TALLY_DATABASE);
  }

  /** A collection outside Tally's layout, in this database (tests of the MongoDB server itself). */
  scratch<T extends Document>(name: string): StoredDocuments<T> {
    return new StoredDocuments<T>(this.client.db(this.database).collection<T>(name));
  }

  /**
   * Every collection of the database but `except`, as its documents' fingerprint (count and a hash of them
   * all, in _id order): two equal fingerprints say nothing was written in between.
   */
  async fingerprints(except: readonly string[] = []): Promise<Record<string, { count: number; sha1: string }>> {
    const db = this.client.db(this.database);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => !except.includes(n)).sort();
    const result: Record<string, { count: number; sha1: string }> = {};
    for (const name of names) {
      const hash = createHash('sha1');
      let count = 0;
      for await (const doc of db.collection(name).find({}, { sort: { _id: 1 } })) {
        hash.update(JSON.stringify(doc));
        count++;
      }
      result[name] = { count, sha1: hash.digest('hex') };
    }
    return result;
  }

  /** A command on this database (a collection's validator, say: documents MongoDB refuses to write). */
  databaseCommand(command: Document): Promise<Document> {
    return this.client.db(this.database).command(command);
  }

  /** A command on the server's `admin` database (`buildInfo`, `hello` ...). */
  serverCommand(command: Document): Promise<Document> {
    return this.client.db('admin').command(command);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
