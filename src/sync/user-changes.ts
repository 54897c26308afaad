import type { UserDoc } from '../schema/objects';
import type { Channel } from '../schema/config';
import { modifyWithRetry } from '../repository/versioned';
import type { Repository } from '../repository/repository';

const bookkeeping = new Set(['oid', 'version', 'metadata', 'linkRef', '_id']);

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
 * Read-modify-write of a user under optimistic concurrency: `change` gets the current user and returns
 * the desired one; the changed properties are stored with a version check, re-read and recomputed on a
 * lost race. Returns the paths that changed.
 */
export async function changeUser(
  repo: Repository,
  userOid: string,
  channel: Channel,
  now: string,
  change: (current: UserDoc) => UserDoc,
): Promise<{ before: UserDoc; after: UserDoc; changedPaths: string[] } | null> {
  let result: { before: UserDoc; after: UserDoc; changedPaths: string[] } | null = null;
  const stored = await modifyWithRetry(repo.users, userOid, (current) => {
    const desired = change(current);
    const changedPaths = changedUserPaths(current, desired);
    result = { before: current, after: desired, changedPaths };
    if (changedPaths.length === 0) return null;
    const set: Record<string, unknown> = { 'metadata.modifyTimestamp': now, 'metadata.modifyChannel': channel };
    const unset: Record<string, ''> = {};
    for (const key of new Set(changedPaths.map((p) => p.split('/')[0]))) {
      const value = (desired as unknown as Record<string, unknown>)[key];
      if (value === undefined) unset[key] = '';
      else set[key] = value;
    }
    return Object.keys(unset).length ? { $set: set, $unset: unset } : { $set: set };
  });
  if (!stored) return null;
  return result;
}
