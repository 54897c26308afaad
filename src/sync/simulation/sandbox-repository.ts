/**
 * The repository as a simulated change sees it: reads come from MongoDB, writes stay in memory. The
 * routine runs unchanged on top of it and reads back what it wrote; nothing reaches MongoDB. What it
 * would have written is the overlay, compared with MongoDB afterwards to say what the change does.
 *
 * Reads the sandbox doesn't know pass through; writes it doesn't know throw, so no path of the routine
 * can write to MongoDB from a simulation.
 */
import type {
  Repository,
  Patch,
  UserStore,
  ShadowStore,
  ConfigStore,
  ConfigKind,
  ConfigSnapshot,
  RunStore,
  LiveSyncStore,
  AuditStore,
  ShadowIdentifiers,
  ShadowQuery,
  StoredObjectTemplate,
  StoredResource,
  StoredRole,
} from '../../repository/repository';
import { VersionConflictError } from '../../repository/errors';
import type { PendingOperation, ShadowDoc, UserDoc } from '../../schema/objects';

type StoredConfig = StoredResource | StoredRole | StoredObjectTemplate;

/** What the sandbox holds: the documents written (null: deleted), by oid. */
export interface Overlay {
  users: Map<string, UserDoc | null>;
  shadows: Map<string, ShadowDoc | null>;
  /** Resources, roles and object templates a simulated `tally apply` stored, by kind. */
  config: Record<ConfigKind, Map<string, StoredConfig | null>>;
}

export class NotSimulatedError extends Error {
  override readonly name = 'NotSimulatedError';
}

/** A MongoDB duplicate-key error, as the store would throw it. */
function duplicateKey(message: string): Error {
  return Object.assign(new Error(`E11000 duplicate key error: ${message}`), { code: 11000 });
}

const clone = <T>(doc: T): T => structuredClone(doc);

/** The patch applied to a copy of the document (dotted paths, array indexes), its version incremented. */
export function patched<T extends { version: number }>(doc: T, patch: Patch): T {
  const copy = clone(doc) as unknown as Record<string, unknown>;
  for (const [path, value] of Object.entries(patch.set ?? {})) setPath(copy, path.split('.'), clone(value));
  for (const path of patch.unset ?? []) unsetPath(copy, path.split('.'));
  (copy as { version: number }).version = doc.version + 1;
  return copy as unknown as T;
}

function setPath(into: Record<string, unknown>, path: string[], value: unknown): void {
  let at: Record<string, unknown> = into;
  for (const key of path.slice(0, -1)) {
    if (at[key] === null || typeof at[key] !== 'object') at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]] = value;
}

function unsetPath(into: Record<string, unknown>, path: string[]): void {
  let at: unknown = into;
  for (const key of path.slice(0, -1)) {
    at = (at as Record<string, unknown> | undefined)?.[key];
    if (at === null || typeof at !== 'object') return;
  }
  delete (at as Record<string, unknown>)[path[path.length - 1]];
}

const sameName = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** Base documents with the overlay's versions in their place, the deleted ones out, and the overlay's new ones that match. */
function merged<T extends { oid: string }>(base: readonly T[], overlay: Map<string, T | null>, matches: (doc: T) => boolean): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const doc of base) {
    seen.add(doc.oid);
    const current = overlay.has(doc.oid) ? overlay.get(doc.oid)! : doc;
    if (current && matches(current)) out.push(current);
  }
  for (const [oid, doc] of overlay) if (doc && !seen.has(oid) && matches(doc)) out.push(doc);
  return out;
}

/** A proxy over the real store: the given methods replace its own; other reads pass; other writes throw. */
function sandboxed<T extends object>(real: T, storeName: string, reads: ReadonlyArray<keyof T>, own: Partial<Record<keyof T, unknown>>): T {
  return new Proxy(real, {
    get(target, prop) {
      if (prop in own) return own[prop as keyof T];
      if (reads.includes(prop as keyof T)) {
        const method = (target as Record<string | symbol, unknown>)[prop];
        return typeof method === 'function' ? method.bind(target) : method;
      }
      if (typeof prop === 'symbol' || prop === 'then') return undefined;
      return () => {
        throw new NotSimulatedError(`${storeName}.${String(prop)} writes, and a simulation writes nothing`);
      };
    },
  });
}

function sandboxUsers(real: UserStore, overlay: Overlay['users']): UserStore {
  const current = async (oid: string): Promise<UserDoc | null> => (overlay.has(oid) ? clone(overlay.get(oid)!) : real.get(oid));
  const byName = async (name: string): Promise<UserDoc | null> => {
    for (const user of overlay.values()) if (user?.name === name) return clone(user);
    const found = await real.byName(name);
    return found && overlay.has(found.oid) ? clone(overlay.get(found.oid)!) : found;
  };
  const change = async (oid: string, edit: (user: UserDoc) => UserDoc | null): Promise<UserDoc | null> => {
    const user = await current(oid);
    if (!user) return null;
    const next = edit(user);
    if (next) overlay.set(oid, next);
    return next ? clone(next) : null;
  };
  const insert = async (user: UserDoc) => {
    if ((await current(user.oid)) || (await byName(user.name))) throw duplicateKey(`users name ${user.name}`);
    overlay.set(user.oid, clone(user));
  };
  const own: Partial<Record<keyof UserStore, unknown>> = {
    get: current,
    byName,
    byRef: async (ref: string) => (await current(ref)) ?? (await byName(ref)),
    byOids: async (oids: readonly string[]) => merged(await real.byOids(oids.filter((o) => !overlay.has(o))), overlay, (u) => oids.includes(u.oid)),
    versions: async (oids: readonly string[]) => {
      const versions = await real.versions(oids.filter((o) => !overlay.has(o)));
      for (const oid of oids) {
        const user = overlay.get(oid);
        if (user) versions.set(oid, user.version);
      }
      return versions;
    },
    matching: async (...args: Parameters<UserStore['matching']>) => merged(await real.matching(...args), overlay, () => true),
    insert,
    insertMany: async (users: readonly UserDoc[]) => {
      const refused = new Set<string>();
      for (const user of users) await insert(user).catch(() => refused.add(user.oid));
      return refused;
    },
    delete: async (oid: string) => void overlay.set(oid, null),
    deleteMany: async (oids: readonly string[]) => oids.forEach((oid) => overlay.set(oid, null)),
    deleteAtVersion: async (oid: string, version: number) => {
      const user = await current(oid);
      if (user?.version !== version) return false;
      overlay.set(oid, null);
      return true;
    },
    update: async (oid: string, version: number, patch: Patch) => {
      const user = await current(oid);
      if (user?.version !== version) throw new VersionConflictError('users', oid, version);
      return (await change(oid, (u) => patched(u, patch)))!;
    },
    setProperties: (oid: string, set: Record<string, unknown>) => change(oid, (u) => patched(u, { set })),
    clearProjectionDue: async (oid: string, token: string) =>
      void (await change(oid, (u) => (u.projectionDue?.token === token ? patched(u, { unset: ['projectionDue'] }) : null))),
    markProjectionHandedOver: async (oid: string, token: string, now: string) =>
      void (await change(oid, (u) => (u.projectionDue?.token === token ? patched(u, { set: { 'projectionDue.handedOverAt': now } }) : null))),
    linkShadow: async (userOid: string, shadowOid: string) =>
      (await change(userOid, (u) => (u.linkRef.includes(shadowOid) ? null : patched(u, { set: { linkRef: [...u.linkRef, shadowOid] } })))) !== null,
    linkShadows: async (links: ReadonlyArray<{ userOid: string; shadowOids: string[] }>) => {
      for (const { userOid, shadowOids } of links) {
        await change(userOid, (u) => patched(u, { set: { linkRef: [...new Set([...u.linkRef, ...shadowOids])] } }));
      }
    },
    unlinkShadow: async (userOid: string, shadowOid: string) =>
      (await change(userOid, (u) => (u.linkRef.includes(shadowOid) ? patched(u, { set: { linkRef: u.linkRef.filter((s) => s !== shadowOid) } }) : null))) !== null,
  };
  return sandboxed(real, 'users', ['list', 'assignedTo', 'count', 'names', 'withProjectionDue'], own);
}

function sandboxShadows(real: ShadowStore, overlay: Overlay['shadows'], onSeen: (resourceRef: string, primaryIdentifiers: readonly string[]) => void): ShadowStore {
  const current = async (oid: string): Promise<ShadowDoc | null> => (overlay.has(oid) ? clone(overlay.get(oid)!) : real.get(oid));
  const change = async (oid: string, edit: (shadow: ShadowDoc) => ShadowDoc | null): Promise<ShadowDoc | null> => {
    const shadow = await current(oid);
    if (!shadow) return null;
    const next = edit(shadow);
    if (!next) return null;
    overlay.set(oid, next);
    return clone(next);
  };
  const withOperation = (oid: string, operationId: string, edit: (operations: PendingOperation[], index: number, shadow: ShadowDoc) => Patch | null) =>
    change(oid, (shadow) => {
      const index = shadow.pendingOperations.findIndex((o) => o.id === operationId);
      if (index < 0) return null;
      const patch = edit(shadow.pendingOperations, index, shadow);
      return patch ? patched(shadow, patch) : null;
    });
  const ofObject = (resourceRef: string, ids: ShadowIdentifiers) => (s: ShadowDoc) =>
    s.resourceRef === resourceRef &&
    ((!!ids.primaryIdentifier && s.primaryIdentifier === ids.primaryIdentifier) ||
      (sameName(s.secondaryIdentifier, ids.secondaryIdentifier) && (!ids.primaryIdentifier || !s.primaryIdentifier || s.primaryIdentifier === ids.primaryIdentifier)));
  const insert = async (shadow: ShadowDoc) => {
    if (shadow.primaryIdentifier) {
      const holders = merged(await real.byPrimaryIdentifiers(shadow.resourceRef, [shadow.primaryIdentifier]), overlay, (s) => s.resourceRef === shadow.resourceRef && s.primaryIdentifier === shadow.primaryIdentifier);
      if (holders.length > 0) return false;
    }
    overlay.set(shadow.oid, clone(shadow));
    return true;
  };
  const finish = (shadowOid: string, operationId: string, patch: Patch) =>
    withOperation(shadowOid, operationId, (operations, index) => ({ ...patch, set: { ...patch.set, pendingOperations: operations.filter((_, i) => i !== index) } }));
  const own: Partial<Record<keyof ShadowStore, unknown>> = {
    get: current,
    byOids: async (oids: readonly string[]) => merged(await real.byOids(oids.filter((o) => !overlay.has(o))), overlay, (s) => oids.includes(s.oid)),
    linkedTo: async (user: Pick<UserDoc, 'oid' | 'linkRef'>) =>
      merged(await real.byOids(user.linkRef.filter((o) => !overlay.has(o))), overlay, (s) => user.linkRef.includes(s.oid) && s.ownerRef === user.oid),
    byIdentifiers: async (resourceRef: string, ids: ShadowIdentifiers) => {
      const found = await real.byIdentifiers(resourceRef, ids);
      const candidates = merged(found ? [found] : [], overlay, ofObject(resourceRef, ids));
      const byPrimary = candidates.find((s) => ids.primaryIdentifier && s.primaryIdentifier === ids.primaryIdentifier);
      candidates.sort((a, b) => Number(a.dead) - Number(b.dead) || Number(b.exists) - Number(a.exists));
      return byPrimary ?? candidates[0] ?? null;
    },
    ofOwner: async (ownerRef: string) => merged(await real.ofOwner(ownerRef), overlay, (s) => s.ownerRef === ownerRef),
    liveOfOwners: async (ownerRefs: readonly string[], kind: ShadowDoc['kind']) =>
      merged(await real.liveOfOwners(ownerRefs, kind), overlay, (s) => !!s.ownerRef && ownerRefs.includes(s.ownerRef) && s.kind === kind && !s.dead),
    find: async (query: ShadowQuery) =>
      merged(await real.find(query), overlay, (s) => (!query.resourceRef || s.resourceRef === query.resourceRef) && (!query.ownerRef || s.ownerRef === query.ownerRef) && (!query.pending || s.pendingOperations.length > 0)),
    withPendingOperations: async (of: { resourceRef?: string; ownerRef?: string } = {}) =>
      merged(
        (await real.withPendingOperations(of)) as ShadowDoc[],
        overlay,
        (s) => s.pendingOperations.length > 0 && (!of.resourceRef || s.resourceRef === of.resourceRef) && (!of.ownerRef || s.ownerRef === of.ownerRef),
      ),
    byPrimaryIdentifiers: async (resourceRef: string, pids: readonly string[]) =>
      merged(await real.byPrimaryIdentifiers(resourceRef, pids), overlay, (s) => s.resourceRef === resourceRef && !!s.primaryIdentifier && pids.includes(s.primaryIdentifier)),
    insert,
    insertMany: async (shadows: readonly ShadowDoc[]) => {
      const refused = new Set<string>();
      for (const shadow of shadows) if (!(await insert(shadow))) refused.add(shadow.oid);
      return refused;
    },
    delete: async (oid: string) => void overlay.set(oid, null),
    deleteMany: async (oids: readonly string[]) => oids.forEach((oid) => overlay.set(oid, null)),
    patch: (oid: string, patch: Patch) => change(oid, (s) => patched(s, patch)),
    modify: async (oid: string, edit: (current: ShadowDoc) => Patch | null, known?: ShadowDoc) => {
      const shadow = overlay.has(oid) ? clone(overlay.get(oid)!) : (known ?? (await real.get(oid)));
      if (!shadow) return null;
      const patch = edit(shadow);
      if (!patch) return shadow;
      const next = patched(shadow, patch);
      overlay.set(oid, next);
      return clone(next);
    },
    patchPendingOperation: (shadowOid: string, operationId: string, patch: Partial<PendingOperation>) =>
      withOperation(shadowOid, operationId, (operations, index) => ({ set: { pendingOperations: operations.map((o, i) => (i === index ? { ...o, ...patch } : o)) } })),
    claimPendingOperation: (shadowOid: string, operationId: string, now: string, until: string, by?: string) =>
      withOperation(shadowOid, operationId, (operations, index) => {
        const first = operations[0];
        const free = !first.executing || !first.executingUntil || first.executingUntil < now || (by !== undefined && first.executingBy === by);
        if (index !== 0 || !free) return null;
        return { set: { 'pendingOperations.0.executing': true, 'pendingOperations.0.executingUntil': until, 'pendingOperations.0.executingBy': by ?? 'inline' } };
      }),
    renewClaims: async () => undefined,
    finishPendingOperation: finish,
    finishPendingOperations: async (finished: ReadonlyArray<{ shadowOid: string; operationId: string; patch: Patch }>) => {
      for (const f of finished) await finish(f.shadowOid, f.operationId, f.patch);
    },
    // What a run saw is reported; agreements are the real shadows' bookkeeping, left alone.
    markPage: async (resourceRef: string, page: { primaryIdentifiers: readonly string[]; seenBy?: string }) => {
      if (page.seenBy) onSeen(resourceRef, page.primaryIdentifiers);
    },
    // Shadows of accounts long gone are bookkeeping: a simulation leaves them and doesn't show them.
    removeGone: async () => 0,
  };
  return sandboxed(real, 'shadows', ['unseen', 'deprovisioned', 'countLive', 'countsByResource', 'awaitingExecutor'], own);
}

/** The snapshot's list of each kind. */
const SNAPSHOT_LISTS = { Resource: 'resources', Role: 'roles', ObjectTemplate: 'objectTemplates' } as const satisfies Record<ConfigKind, keyof ConfigSnapshot>;
const CONFIG_KINDS = Object.keys(SNAPSHOT_LISTS) as ConfigKind[];

function sandboxConfig(real: ConfigStore, overlay: Overlay['config']): ConfigStore {
  const changed = () => CONFIG_KINDS.some((kind) => overlay[kind].size > 0);
  const withOverlay = (stored: ConfigSnapshot): ConfigSnapshot => {
    if (!changed()) return stored;
    // A configuration that is not stored has no generation: nothing remembered under a real one applies to it.
    const merge = <T extends StoredConfig>(kind: ConfigKind, base: T[]) => merged(base, overlay[kind] as Map<string, T | null>, () => true);
    return { generation: -1, resources: merge('Resource', stored.resources), roles: merge('Role', stored.roles), objectTemplates: merge('ObjectTemplate', stored.objectTemplates) };
  };
  const snapshot = async (): Promise<ConfigSnapshot> => withOverlay(await real.snapshot());
  // Not copied, as the store's own lookups: compiled mappings are remembered by their objects.
  const byRef = async <T extends StoredConfig>(kind: ConfigKind, ref: string, stored: (ref: string) => Promise<T | null>): Promise<T | null> => {
    if (!changed()) return stored(ref);
    const objects = (await snapshot())[SNAPSHOT_LISTS[kind]] as T[];
    return objects.find((o) => o.oid === ref) ?? objects.find((o) => o.name === ref) ?? null;
  };
  const object = async (kind: ConfigKind, oid: string): Promise<StoredConfig | null> => (overlay[kind].has(oid) ? clone(overlay[kind].get(oid)!) : real.object(kind, oid));
  const change = async (kind: ConfigKind, oid: string, edit: (current: StoredConfig) => StoredConfig | null | undefined): Promise<boolean> => {
    const current = await object(kind, oid);
    if (!current) return false;
    const next = edit(current);
    if (next === undefined) return false;
    overlay[kind].set(oid, next);
    return true;
  };
  const role = (edit: (role: StoredRole) => StoredRole | null | undefined) => (current: StoredConfig) => edit(current as StoredRole);
  const own: Partial<Record<keyof ConfigStore, unknown>> = {
    snapshot,
    recentSnapshot: async () => withOverlay(await real.recentSnapshot()),
    resource: (ref: string) => byRef('Resource', ref, (r) => real.resource(r)),
    role: (ref: string) => byRef('Role', ref, (r) => real.role(r)),
    object,
    count: async (kind: ConfigKind) => (await snapshot())[SNAPSHOT_LISTS[kind]].length,
    names: async () => {
      const { resources, roles, objectTemplates } = await snapshot();
      const lists: Array<[ConfigKind, StoredConfig[]]> = [['Resource', resources], ['ObjectTemplate', objectTemplates], ['Role', roles]];
      return lists.flatMap(([kind, objects]) => objects.map((o) => ({ kind, oid: o.oid, name: o.name, ...('default' in o && o.default === true ? { default: true } : {}) })));
    },
    insert: async (kind: ConfigKind, doc: StoredConfig) => {
      const taken = (await snapshot())[SNAPSHOT_LISTS[kind]].some((o: StoredConfig) => o.name === doc.name);
      if (taken || (await object(kind, doc.oid))) throw duplicateKey(`${SNAPSHOT_LISTS[kind]} ${doc.name}`);
      overlay[kind].set(doc.oid, clone(doc));
    },
    replace: async (kind: ConfigKind, oid: string, expectedVersion: number, patch: Patch) => {
      const current = await object(kind, oid);
      if (current?.version !== expectedVersion) throw new VersionConflictError(SNAPSHOT_LISTS[kind], oid, expectedVersion);
      overlay[kind].set(oid, patched(current, patch));
    },
    markRoleForDeletion: async (oid: string, now: string) =>
      (await change('Role', oid, role((r) => (r.deletion ? undefined : patched(r, { set: { deletion: { requestedAt: now } } }))))) || !!(await object('Role', oid)),
    removeDeletedRole: (oid: string) => change('Role', oid, role((r) => (r.deletion && !r.linkRef?.length ? null : undefined))),
    linkRoleShadow: (roleOid: string, shadowOid: string) =>
      change('Role', roleOid, role((r) => (r.linkRef?.includes(shadowOid) ? undefined : patched(r, { set: { linkRef: [...(r.linkRef ?? []), shadowOid] } })))),
    unlinkRoleShadow: (roleOid: string, shadowOid: string) =>
      change('Role', roleOid, role((r) => (r.linkRef?.includes(shadowOid) ? patched(r, { set: { linkRef: r.linkRef.filter((s) => s !== shadowOid) } }) : undefined))),
  };
  return sandboxed(real, 'config', [], own);
}

export interface SandboxOptions {
  /** Where a simulated run's `markPage` of what it saw goes (a simulation marks nothing on the shadows). */
  onSeen?: (resourceRef: string, primaryIdentifiers: readonly string[]) => void;
  /** The configuration store the sandbox reads (and keeps its writes over); absent: the repository's. */
  config?: ConfigStore;
}

/** The repository over `real` whose writes land in `overlay`. */
export function sandboxRepository(real: Repository, overlay: Overlay, options: SandboxOptions = {}): Repository {
  const users = sandboxUsers(real.users, overlay.users);
  const shadows = sandboxShadows(real.shadows, overlay.shadows, options.onSeen ?? (() => undefined));
  const config = sandboxConfig(options.config ?? real.config, overlay.config);
  const runs = sandboxed(real.runs, 'runs', ['get', 'running', 'list', 'cancelledOperations'], {});
  const liveSync = sandboxed(real.liveSync, 'liveSync', ['token', 'pendingChangeEvents', 'countPendingChangeEvents'], {});
  const audit = sandboxed(real.audit, 'audit', [], { write: async () => undefined } as Partial<Record<keyof AuditStore, unknown>>);
  const stores: Record<string, unknown> = { users, shadows, config, runs, liveSync, audit };
  return new Proxy(real, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in stores) return stores[prop];
      if (prop === 'close' || prop === 'ensureIndexes') return async () => undefined;
      return (target as unknown as Record<string | symbol, unknown>)[prop];
    },
  });
}

export const emptyOverlay = (): Overlay => ({ users: new Map(), shadows: new Map(), config: { Resource: new Map(), Role: new Map(), ObjectTemplate: new Map() } });

export type { RunStore, LiveSyncStore };
