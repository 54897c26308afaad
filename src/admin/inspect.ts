/** Read-only views for operators: users, shadows, pending (stuck) operations. */
import type { ShadowDoc, UserDoc } from '../schema/objects';
import type { Repository } from '../repository/repository';

/** A user as shown to people: the password never leaves the repository. */
export function presentUser(user: UserDoc): Omit<UserDoc, 'credentials'> & { credentials?: { password: { set: true; changedAt?: string } } } {
  const { credentials, ...rest } = user;
  const password = credentials?.password;
  return { ...rest, ...(password ? { credentials: { password: { set: true as const, ...(password.changedAt ? { changedAt: password.changedAt } : {}) } } } : {}) };
}

export async function findShadows(repo: Repository, options: { resource?: string; pending?: boolean; owner?: string }): Promise<ShadowDoc[]> {
  const resourceRef = options.resource ? ((await repo.config.resource(options.resource))?.oid ?? options.resource) : undefined;
  return repo.shadows.find({ resourceRef, ownerRef: options.owner, pending: options.pending });
}
