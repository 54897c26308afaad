/** Read-only views for operators: users, shadows, pending (stuck) operations. */
import type { Filter } from 'mongodb';
import type { ShadowDoc, UserDoc } from '../schema/objects';
import type { Repository } from '../repository/repository';

/** A user as shown to people: the password never leaves the repository. */
export function presentUser(user: UserDoc): Omit<UserDoc, 'credentials'> & { credentials?: { password: 'set' } } {
  const { credentials, ...rest } = user;
  return { ...rest, ...(credentials?.password ? { credentials: { password: 'set' as const } } : {}) };
}

export async function findShadows(repo: Repository, options: { resource?: string; pending?: boolean; owner?: string }): Promise<ShadowDoc[]> {
  const filter: Filter<ShadowDoc> = {};
  if (options.resource) {
    const resource = await repo.findConfig(repo.resources, options.resource);
    filter.resourceRef = resource?.oid ?? options.resource;
  }
  if (options.owner) filter.ownerRef = options.owner;
  const shadows = await repo.shadows.find(filter, { projection: { _id: 0 } }).sort({ secondaryIdentifier: 1 }).toArray();
  return options.pending ? shadows.filter((s) => s.pendingOperations.length > 0) : shadows;
}
