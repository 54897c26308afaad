import { randomUUID } from 'node:crypto';
import type { ProjectionDue, UserDoc } from '../schema/objects';
import type { Channel } from '../schema/config';
import { VersionConflictError } from '../repository/errors';
import type { Repository } from '../repository/repository';
import type { Patch } from '../repository/versioned';

const bookkeeping = new Set(['oid', 'version', 'metadata', 'linkRef', '_id', 'projectionDue']);

/** User paths whose values differ between two states of a user (`extension/x` for extension items). */
export function changedUserPaths(before: UserDoc, after: UserDoc): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed: string[] = [];
  for (const key of keys) {
    if (bookkeeping.has(key)) continue;
    const a = (before as unknown as Record<string, unknown>)[key];
    const b = (after as unknown as Record<string, unknown>)[key];
    if (key === 'extension') {
      const ext = new Set([...Object.keys((a as object) ?? {}), ...Object.keys((b as object) ?? {})]);
      for (const k of ext) {
        if (JSON.stringify((a as Record<string, unknown>)?.[k]) !== JSON.stringify((b as Record<string, unknown>)?.[k])) changed.push(`extension/${k}`);
      }
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changed.push(key);
    }
  }
  return changed;
}

/**
 * The user's outbox mark after a change of `paths` stored at `now`: the earliest unprovisioned change's
 * time, a new token, and every path changed since (none known: everything).
 */
export function projectionDueAfter(current: ProjectionDue | undefined, paths: string[] | undefined, now: string): ProjectionDue {
  const known = current ? current.paths && paths && [...new Set([...current.paths, ...paths])] : paths;
  return { since: current?.since ?? now, token: `${now}/${randomUUID()}`, ...(known ? { paths: known } : {}) };
}

/** The write that makes a user `desired` where `changedPaths` say he differs (and, given one, marks him due for provisioning). */
export function userPatch(desired: UserDoc, changedPaths: readonly string[], meta: { channel: Channel; now: string; projectionDue?: ProjectionDue }): Patch {
  const set: Record<string, unknown> = { 'metadata.modifyTimestamp': meta.now, 'metadata.modifyChannel': meta.channel };
  if (meta.projectionDue) set.projectionDue = meta.projectionDue;
  const unset: string[] = [];
  for (const key of new Set(changedPaths.map((p) => p.split('/')[0]))) {
    const value = (desired as unknown as Record<string, unknown>)[key];
    if (value === undefined) unset.push(key);
    else set[key] = value;
  }
  return { set, unset };
}

export interface ChangeUserOptions {
  /**
   * Marks the user's accounts as due for provisioning (`projectionDue`), which the provisioning that follows
   * removes. Off only for the projection's own writes. @default true
   */
  markProjectionDue?: boolean;
  /** Tries before a lost race is given up. @default 20 */
  attempts?: number;
}

/**
 * Read-modify-write of a user under optimistic concurrency: `change` gets the current user and returns
 * the desired one; the changed properties are stored with a version check, re-read and recomputed on a
 * lost race. Nothing is written when nothing changed. Returns the paths that changed (null: no such user).
 */
export async function changeUser(
  repo: Repository,
  userOid: string,
  channel: Channel,
  now: string,
  change: (current: UserDoc) => UserDoc,
  /** The caller's copy of the user, which saves the first read (a lost race reads afresh). */
  known?: UserDoc,
  options: ChangeUserOptions = {},
): Promise<{ before: UserDoc; after: UserDoc; changedPaths: string[] } | null> {
  for (let attempt = 1; ; attempt++) {
    const current = attempt === 1 && known?.oid === userOid ? known : await repo.users.get(userOid);
    if (!current) return null;
    const desired = change(current);
    const changedPaths = changedUserPaths(current, desired);
    if (changedPaths.length === 0) return { before: current, after: current, changedPaths };
    const due = (options.markProjectionDue ?? true) ? projectionDueAfter(current.projectionDue, changedPaths, now) : undefined;
    try {
      const after = await repo.users.update(userOid, current.version, userPatch(desired, changedPaths, { channel, now, projectionDue: due }));
      return { before: current, after, changedPaths };
    } catch (e) {
      if (!(e instanceof VersionConflictError) || attempt >= (options.attempts ?? 20)) throw e;
      await new Promise((r) => setTimeout(r, Math.min(100, 2 * attempt) * (0.5 + Math.random())));
    }
  }
}
