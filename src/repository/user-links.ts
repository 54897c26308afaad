import type { Repository } from './repository';
import { modifyWithRetry } from './versioned';

/** Adds a shadow to the user's linkRef (idempotent, versioned). */
export async function addLinkRef(repo: Repository, userOid: string, shadowOid: string): Promise<void> {
  await modifyWithRetry(repo.users, userOid, (u) => (u.linkRef.includes(shadowOid) ? null : { $set: { linkRef: [...u.linkRef, shadowOid] } }));
}

/** Removes a shadow from the user's linkRef (idempotent, versioned). */
export async function removeLinkRef(repo: Repository, userOid: string, shadowOid: string): Promise<void> {
  await modifyWithRetry(repo.users, userOid, (u) =>
    u.linkRef.includes(shadowOid) ? { $set: { linkRef: u.linkRef.filter((l) => l !== shadowOid) } } : null,
  );
}
