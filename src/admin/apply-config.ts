/**
 * `tally apply`: validate configuration files as a whole, then store every object. Nothing is stored when
 * any file is invalid. Users' passwords are resolved from their references and stored encrypted only.
 */
import { ConfigError, loadConfigFiles, sortProblems, type LoadedObject } from '../config/load-config';
import type { KnownObject } from '../config/cross-check';
import { resolveSecret, type WorkflowStarter } from '../provisioning';
import type { Assignment, ConfigObject, RoleConfig, UserConfig } from '../schema/config';
import { hasOwnProjection } from '../model/role-entitlements';
import type { UserActivation, UserDoc } from '../schema/objects';
import type { Repository } from '../repository/repository';
import { decryptSecret, encryptSecret } from '../security/secret-box';
import type { SecretKey } from '../security/secret-key';
import { changeUser, projectionDueAfter } from '../sync/user-changes';
import { checkAttributeNames } from './attribute-name-check';
import { constructionTargets, withConstructionNames } from './construction-targets';
import { assignmentRefs, mergeFileAssignments, type RefResolver } from './assignment-merge';

export interface ApplyResult {
  stored: Array<{ kind: ConfigObject['kind']; oid: string; name: string; file: string; change: 'created' | 'updated' | 'unchanged' }>;
  /** Users whose accounts must be recomputed, with the assignments the change removed. */
  usersToProvision: Array<{ userOid: string; changedUserPaths?: string[]; removedAssignments: Assignment[]; addedAssignments?: Assignment[] }>;
  /** Resources whose attribute names were not checked (their schema could not be read), and why. */
  unchecked: string[];
  /** Roles projected to entitlements of their own (before or after this apply) that changed: their projection is recomputed. */
  rolesToProvision: Array<{ roleOid: string; removedAssignments: Assignment[] }>;
  /** Resources whose `liveSync` this apply added (new resources with it, or stored ones without it before). */
  liveSyncAdded: string[];
}

/** A recomputation an apply asks for: a changed role's own projection, or a user of its files. */
export interface AppliedRecompute {
  kind: 'Role' | 'User';
  oid: string;
  /** Hands it to its workflow (`role:<oid>`, `user:<oid>`). */
  request(workflows: Pick<WorkflowStarter, 'requestRoleProvisioning' | 'requestUserProvisioning'>): Promise<string>;
}

/** What an apply hands to workflows, roles first: their groups are what their holders' memberships point at. */
export function appliedRecomputes(result: Pick<ApplyResult, 'rolesToProvision' | 'usersToProvision'>): AppliedRecompute[] {
  return [
    ...result.rolesToProvision.map((role): AppliedRecompute => ({
      kind: 'Role',
      oid: role.roleOid,
      request: (workflows) => workflows.requestRoleProvisioning({ roleOid: role.roleOid, channel: 'user', removedAssignments: role.removedAssignments }),
    })),
    ...result.usersToProvision.map((user): AppliedRecompute => ({
      kind: 'User',
      oid: user.userOid,
      request: (workflows) =>
        workflows.requestUserProvisioning({ userOid: user.userOid, channel: 'user', changedUserPaths: user.changedUserPaths, removedAssignments: user.removedAssignments, addedAssignments: user.addedAssignments }),
    })),
  ];
}

/** Starts the recomputations the apply asks for. */
export async function requestAppliedRecomputes(workflows: Pick<WorkflowStarter, 'requestRoleProvisioning' | 'requestUserProvisioning'>, result: ApplyResult): Promise<void> {
  for (const recompute of appliedRecomputes(result)) await recompute.request(workflows);
}

export async function knownObjects(repo: Repository): Promise<KnownObject[]> {
  return repo.knownObjects();
}

export async function applyConfig(
  repo: Repository,
  key: SecretKey,
  paths: string[],
): Promise<ApplyResult> {
  const loaded = loadConfigFiles(paths, { known: await knownObjects(repo) });
  const targets = await constructionTargets(loaded.objects, (ref) => repo.config.resource(ref));
  const objects = withConstructionNames(loaded.objects, targets);
  const names = await checkAttributeNames(objects, targets);
  if (names.problems.length > 0) throw new ConfigError(sortProblems(names.problems));
  // Resolve every secret before storing anything, so a missing one leaves the repository untouched.
  const passwords = new Map<LoadedObject, string>();
  for (const entry of objects) {
    if (entry.object.kind === 'User' && entry.object.credentials?.password) {
      passwords.set(entry, resolveSecret(entry.object.credentials.password));
    }
  }
  const result: ApplyResult = { stored: [], usersToProvision: [], rolesToProvision: [], unchecked: names.unchecked, liveSyncAdded: [] };
  const now = new Date().toISOString();
  for (const entry of objects) {
    const object = entry.object;
    if (object.kind === 'User') {
      const password = passwords.get(entry);
      const outcome = await storeUser(repo, key, object as UserConfig & { oid: string }, password, now, objects);
      result.stored.push({ kind: object.kind, oid: object.oid, name: object.name, file: entry.file, change: outcome.change });
      if (outcome.change !== 'unchanged')
        result.usersToProvision.push({ userOid: outcome.oid, changedUserPaths: outcome.changedPaths, removedAssignments: outcome.removedAssignments, addedAssignments: outcome.addedAssignments });
      continue;
    }
    const { change, before } = await storeConfigObject(repo, object, now);
    result.stored.push({ kind: object.kind, oid: object.oid, name: object.name, file: entry.file, change });
    if (object.kind === 'Resource' && object.liveSync && !(before as Partial<typeof object> | null)?.liveSync) result.liveSyncAdded.push(object.oid);
    const roleBefore = before as RoleConfig | null;
    if (object.kind === 'Role' && change !== 'unchanged' && (hasOwnProjection(object) || (roleBefore && hasOwnProjection(roleBefore)))) {
      const removedAssignments = (roleBefore?.assignment ?? []).filter((a) => !(object.assignment ?? []).some((d) => JSON.stringify(d) === JSON.stringify(a)));
      result.rolesToProvision.push({ roleOid: object.oid, removedAssignments });
    }
  }
  return result;
}

/** Plain JSON with keys in a fixed order: undefined fields dropped, so stored and applied objects compare equal. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

async function storeConfigObject(
  repo: Repository,
  object: Exclude<ConfigObject, UserConfig> & { oid: string },
  now: string,
): Promise<{ change: 'created' | 'updated' | 'unchanged'; before: object | null }> {
  const desired = canonical(object) as ConfigObject & { oid: string };
  const existing = await repo.config.object(object.kind, object.oid);
  if (!existing) {
    await repo.config.insert(object.kind, { ...desired, version: 1, storedAt: now } as never);
    return { change: 'created', before: null };
  }
  // A role's links to the shadows of its own projection are Tally's, not the file's.
  const { version, storedAt: _storedAt, linkRef: _linkRef, ...stored } = existing as typeof existing & { linkRef?: string[] };
  if (JSON.stringify(canonical(stored)) === JSON.stringify(desired)) return { change: 'unchanged', before: stored };
  const removed = Object.keys(stored).filter((k) => !(k in (desired as object)));
  await repo.config.replace(object.kind, object.oid, version, { set: { ...desired, storedAt: now }, unset: removed });
  return { change: 'updated', before: stored };
}

/** Properties a User file sets; anything else on the stored user (links, metadata) is Tally's own. */
function userProperties(config: UserConfig, encryptedPassword?: string): Partial<UserDoc> {
  const { kind: _kind, credentials: _credentials, ...properties } = config;
  return { ...properties, ...(encryptedPassword ? { credentials: { password: { encrypted: encryptedPassword, changedAt: new Date().toISOString() } } } : {}) };
}

/** What a User file sets of the activation, with what Tally computed from it kept (the recomputation corrects it). */
function withComputedActivationOf(desired: UserActivation, current: UserActivation): UserActivation {
  const { effectiveStatus, validityStatus } = current;
  return { ...desired, ...(effectiveStatus ? { effectiveStatus } : {}), ...(validityStatus ? { validityStatus } : {}) };
}

/**
 * Resolves the role and resource references of these assignments to oids: the objects of this apply first,
 * then the repository; a reference found nowhere stands for itself.
 */
async function refResolver(repo: Repository, applied: LoadedObject[], assignments: Assignment[]): Promise<RefResolver> {
  const known = new Map<string, string>();
  for (const { object } of applied) {
    if (object.kind !== 'Role' && object.kind !== 'Resource') continue;
    known.set(`${object.kind}:${object.name}`, object.oid!);
    known.set(`${object.kind}:${object.oid}`, object.oid!);
  }
  for (const { kind, ref } of assignmentRefs(assignments)) {
    if (known.has(`${kind}:${ref}`)) continue;
    const stored = kind === 'Role' ? await repo.config.role(ref) : await repo.config.resource(ref);
    if (stored) known.set(`${kind}:${ref}`, stored.oid);
  }
  return (kind, ref) => known.get(`${kind}:${ref}`) ?? ref;
}

/**
 * A User file wins for the properties it names and leaves the others as they are; its assignments are merged
 * (see assignment-merge.ts): assignments made with the CLI or API survive a re-apply.
 */
async function storeUser(
  repo: Repository,
  key: SecretKey,
  config: UserConfig & { oid: string },
  password: string | undefined,
  now: string,
  applied: LoadedObject[],
): Promise<{ oid: string; change: 'created' | 'updated' | 'unchanged'; changedPaths?: string[]; removedAssignments: Assignment[]; addedAssignments?: Assignment[] }> {
  const existing = (await repo.users.get(config.oid)) ?? (await repo.users.byRef(config.name));
  const samePassword = (stored?: { encrypted: string }) => !!stored && password !== undefined && decryptSecret(stored.encrypted, key) === password;
  const encryptedPassword = password === undefined || samePassword(existing?.credentials?.password) ? undefined : encryptSecret(password, key);
  if (!existing) {
    const user: UserDoc = {
      ...(userProperties(config, encryptedPassword) as UserDoc),
      oid: config.oid,
      assignment: config.assignment,
      ...(config.assignment.length > 0 ? { configAssignment: config.assignment } : {}),
      linkRef: [],
      projectionDue: projectionDueAfter(undefined, undefined, now),
      version: 1,
      metadata: { createTimestamp: now, modifyTimestamp: now, createChannel: 'user', modifyChannel: 'user' },
    };
    await repo.users.insert(user);
    return { oid: user.oid, change: 'created', removedAssignments: [] };
  }
  const resolve = await refResolver(repo, applied, [...existing.assignment, ...(existing.configAssignment ?? []), ...config.assignment]);
  let removedAssignments: Assignment[] = [];
  let addedAssignments: Assignment[] = [];
  const changed = await changeUser(repo, existing.oid, 'user', now, (current) => {
    const desired: UserDoc = { ...current, ...userProperties(config, encryptedPassword), oid: current.oid, ...mergeFileAssignments(current, config.assignment, resolve) };
    if (desired.configAssignment === undefined) delete desired.configAssignment;
    if (encryptedPassword === undefined && current.credentials) desired.credentials = current.credentials;
    if (desired.activation && current.activation) desired.activation = withComputedActivationOf(desired.activation, current.activation);
    removedAssignments = current.assignment.filter((a) => !desired.assignment.some((d) => JSON.stringify(d) === JSON.stringify(a)));
    addedAssignments = desired.assignment.filter((d) => !current.assignment.some((a) => JSON.stringify(d) === JSON.stringify(a)));
    return desired;
  });
  const changedPaths = changed?.changedPaths ?? [];
  return { oid: existing.oid, change: changedPaths.length ? 'updated' : 'unchanged', changedPaths, removedAssignments, addedAssignments };
}
