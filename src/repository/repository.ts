/**
 * Tally's MongoDB repository: storage, indexes and optimistic versioning, behind stores named for what
 * they keep. No business rules here, and nothing outside this folder builds a query or an update or
 * sees a MongoDB object.
 */
import { MongoClient, type Db } from 'mongodb';
import { AuditStore } from './audit-store';
import { ConfigStore, type ConfigKind } from './config-store';
import { LiveSyncStore } from './live-sync-store';
import { RunStore } from './run-store';
import { ScimObjectStore } from './scim-object-store';
import { ShadowStore } from './shadow-store';
import { SimulationStore } from './simulation-store';
import { UserStore } from './user-store';

export type { Patch } from './versioned';
export type { AuditRecord } from './audit-store';
export type { ConfigKind, ConfigSnapshot, Stored, StoredObjectTemplate, StoredResource, StoredRole } from './config-store';
export type { ChangeEventDoc, HeldChangeDoc, HeldChangeState, LiveSyncDecision, SyncTokenDoc } from './live-sync-store';
export type { OperationCancellationDoc, RunDoc, RunError, RunStats } from './run-store';
export type { FoundAgreement, ShadowAgreement, ShadowIdentifiers, ShadowOfPage, ShadowQuery } from './shadow-store';
export type { SimulationDoc, StoredSimulationItem } from './simulation-store';
export type { AuditStore, ConfigStore, LiveSyncStore, RunStore, ScimObjectStore, ShadowStore, SimulationStore, UserStore };

export interface RepositoryOptions {
  /** MongoDB connection string. */
  uri: string;
  /** Database name. @default 'tally' */
  database?: string;
  /**
   * How often `config.recentSnapshot()` (bulk pages and slices) looks at the configuration's generation
   * again: a `tally apply` in another process is seen there within this time; `config.snapshot()` looks
   * on every call. @default 1000
   */
  configCheckIntervalMs?: number;
  /** Report every command sent to MongoDB to `onCommand` listeners (benchmarks count round trips); `monitorCommands=true` in the URI does the same. */
  monitorCommands?: boolean;
}

/** Connects to MongoDB; the repository owns the connection until `close()`. */
export async function openRepository(options: RepositoryOptions): Promise<Repository> {
  // Given only when asked for, so that the URI's own `monitorCommands` stands otherwise.
  const monitoring = options.monitorCommands ? { monitorCommands: true } : {};
  const client = new MongoClient(options.uri, { serverSelectionTimeoutMS: 10_000, retryWrites: false, ...monitoring });
  await client.connect();
  return new Repository(client, client.db(options.database ?? 'tally'), options);
}

export class Repository {
  readonly users: UserStore;
  /** Shadows and their pending operations. */
  readonly shadows: ShadowStore;
  /** Resources, roles, object templates and the configuration's generation. */
  readonly config: ConfigStore;
  /** Reconciliation and import runs, and operations an operator gave up. */
  readonly runs: RunStore;
  /** Live-sync positions, the change events services sent, and the changes processChange holds while they fail. */
  readonly liveSync: LiveSyncStore;
  readonly audit: AuditStore;
  /** Simulations of runs and their per-object results (kept for a while, then removed). */
  readonly simulations: SimulationStore;
  /** The users and groups services pushed over SCIM to the resources that take them (`scim-service`). */
  readonly scimObjects: ScimObjectStore;

  /** Use `openRepository`. */
  constructor(
    private readonly client: MongoClient,
    db: Db,
    options: { configCheckIntervalMs?: number } = {},
  ) {
    this.users = new UserStore(db);
    this.shadows = new ShadowStore(db);
    this.config = new ConfigStore(db, options);
    this.runs = new RunStore(db);
    this.liveSync = new LiveSyncStore(db);
    this.audit = new AuditStore(db);
    this.simulations = new SimulationStore(db);
    this.scimObjects = new ScimObjectStore(db);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([this.users, this.shadows, this.config, this.runs, this.liveSync, this.audit, this.simulations, this.scimObjects].map((store) => store.ensureIndexes()));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Calls `listener` with the name of every command sent (only when opened with `monitorCommands`, or it in the URI). */
  onCommand(listener: (commandName: string) => void): void {
    this.client.on('commandStarted', (e) => listener(e.commandName));
  }

  /** One round trip to the server that reads nothing: the floor of every other. */
  async ping(): Promise<void> {
    await this.client.db('admin').command({ ping: 1 });
  }

  /** Adds the shadow to its owner's links, a user's or a role's (idempotent). */
  async linkShadow(ownerOid: string, shadowOid: string): Promise<void> {
    if (!(await this.users.linkShadow(ownerOid, shadowOid))) await this.config.linkRoleShadow(ownerOid, shadowOid);
  }

  /** Removes the shadow from its owner's links, a user's or a role's (idempotent). */
  async unlinkShadow(ownerOid: string, shadowOid: string): Promise<void> {
    if (!(await this.users.unlinkShadow(ownerOid, shadowOid))) await this.config.unlinkRoleShadow(ownerOid, shadowOid);
  }

  /** Oid and name of every configured object and user (what `tally apply` resolves references against). */
  async knownObjects(): Promise<Array<{ kind: ConfigKind | 'User'; oid: string; name: string; default?: boolean }>> {
    const [configured, users] = await Promise.all([this.config.names(), this.users.names()]);
    return [...configured, ...users.map((u) => ({ kind: 'User' as const, oid: u.oid, name: u.name }))];
  }
}
