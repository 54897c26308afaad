/**
 * Writing Users: POST; a modify as PATCH operations computed against the user as just read and sent with
 * `If-Match` of its version (PUT of the whole user where the service has no PATCH); DELETE, or active=false
 * when the resource's `deprovision` is `disable`. Memberships go to the Groups (scim-memberships.ts).
 *
 * A 412 (the user changed between the read and the write) is answered by reading it again and computing
 * the operations anew, once: the deltas say what Tally wants, not what it saw, so applying them to the
 * newer user is right. A second 412 is a communication error and the consistency mechanism tries later.
 */
import type { AttributeDelta, Attributes, ResourceObject } from '../../schema/objects';
import { isConnectorError } from '../connector-errors';
import { applyOperations, ENABLE_ATTRIBUTE, newUser, patchOperations } from './scim-attributes';
import type { ScimContext } from './scim-connection';
import { applyMembershipDeltas, associationOf, leaveAllGroups } from './scim-memberships';
import { getUser, readUser, toObject, withMemberships } from './scim-reading';
import { PATCH_OP, type ScimResource } from './scim-types';

const PRECONDITION_FAILED = 412;

/** Splits attributes or deltas into the user's own and the associations'. */
function split<T>(ctx: ScimContext, items: readonly T[], nameOf: (item: T) => string): { own: T[]; memberships: T[] } {
  const own: T[] = [];
  const memberships: T[] = [];
  for (const item of items) (associationOf(ctx.associations, nameOf(item)) ? memberships : own).push(item);
  return { own, memberships };
}

export async function createUser(ctx: ScimContext, userName: string, attributes: Attributes): Promise<ResourceObject> {
  const { own, memberships } = split(ctx, Object.entries(attributes), ([name]) => name);
  const answer = await ctx.request('POST', '/Users', `create ${userName}`, { body: newUser(userName, Object.fromEntries(own), ctx.enterprise) });
  const id = String(answer.body.id);
  if (memberships.length > 0) await applyMembershipDeltas(ctx, id, memberships.map(([path, values]) => ({ path, add: values })));
  // A service that answers 201 without the user (RFC 7644 allows it) is read back.
  const created = answer.body.userName !== undefined ? answer.body : (await readUser(ctx, { primaryIdentifier: id }, `read created ${userName}`)).user;
  // A new user is in no group but those just given.
  return memberships.length > 0 ? withMemberships(ctx, created) : toObject(ctx, created);
}

/** One write of the user's own deltas against the user as read now. */
async function writeOnce(ctx: ScimContext, id: string, deltas: readonly AttributeDelta[]): Promise<void> {
  const what = `modify ${id}`;
  const { user, etag } = await readUser(ctx, { primaryIdentifier: id }, what);
  const ops = patchOperations(user, deltas, ctx.enterprise);
  if (ops.length === 0) return;
  const ifMatch = etag ? { ifMatch: etag } : {};
  if (await ctx.patchSupported()) {
    await ctx.request('PATCH', `/Users/${encodeURIComponent(id)}`, what, { body: { schemas: [PATCH_OP], Operations: ops }, ...ifMatch });
  } else {
    const { meta: _meta, ...changed } = applyOperations(user, ops);
    await ctx.request('PUT', `/Users/${encodeURIComponent(id)}`, what, { body: changed as ScimResource, ...ifMatch });
  }
}

/** The write, read and computed again once after a 412; a second 412 is the caller's (a communication error). */
async function write(ctx: ScimContext, id: string, deltas: readonly AttributeDelta[]): Promise<void> {
  try {
    await writeOnce(ctx, id, deltas);
  } catch (e) {
    if (!isConnectorError(e) || e.nativeCode !== PRECONDITION_FAILED) throw e;
    await writeOnce(ctx, id, deltas);
  }
}

export async function modifyUser(ctx: ScimContext, id: string, deltas: AttributeDelta[]): Promise<ResourceObject> {
  const { own, memberships } = split(ctx, deltas, (d) => d.path);
  if (own.length > 0) await write(ctx, id, own);
  if (memberships.length > 0) await applyMembershipDeltas(ctx, id, memberships);
  return getUser(ctx, { primaryIdentifier: id });
}

export async function deleteUser(ctx: ScimContext, id: string): Promise<void> {
  if (ctx.config.deprovision === 'disable') {
    await write(ctx, id, [{ path: ENABLE_ATTRIBUTE, replace: ['FALSE'] }]);
    return;
  }
  if (ctx.associations.some((a) => a.referentialIntegrity)) {
    // An unknown id is not-found here, before any group is read.
    await readUser(ctx, { primaryIdentifier: id }, `delete ${id}`, ['userName']);
    await leaveAllGroups(ctx, id);
  }
  await ctx.request('DELETE', `/Users/${encodeURIComponent(id)}`, `delete ${id}`);
}
