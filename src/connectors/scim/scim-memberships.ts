/**
 * Group membership as an association: a Group lists its members' ids in `members[].value`; the account
 * carries its groups' displayNames in the association's attribute (`association/group`). Writes add or
 * remove the one member (`members[value eq "<id>"]`), never replace the list, so other members changed
 * meanwhile are not lost and a repeated write is a no-op.
 */
import type { AttributeDelta, AttributeValue } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import { applyOperations, filterString, valuePath } from './scim-attributes';
import type { ScimContext } from './scim-connection';
import type { PatchOperation, ScimAssociation, ScimListResponse, ScimResource } from './scim-types';

/** The displayNames of the Groups that list this user. */
export async function groupsOf(ctx: ScimContext, userId: string): Promise<string[]> {
  const answer = await ctx.request('GET', '/Groups', `read the groups of ${userId}`, {
    query: { filter: `members.value eq ${filterString(userId)}`, attributes: 'displayName', count: 1000 },
  });
  return ((answer.body as ScimListResponse).Resources ?? []).map((g) => String(g.displayName));
}

/** Every group's members, as user id -> displayNames (one paged read for a page of users). */
export async function membershipIndex(ctx: ScimContext): Promise<Map<string, string[]>> {
  const index = new Map<string, string[]>();
  for (let startIndex = 1; ; ) {
    const answer = await ctx.request('GET', '/Groups', 'read group memberships', { query: { attributes: 'displayName,members', startIndex, count: ctx.config.pageSize } });
    const list = answer.body as ScimListResponse;
    const groups = list.Resources ?? [];
    for (const group of groups) {
      for (const member of (group.members as Array<{ value?: string }> | undefined) ?? []) {
        if (member.value !== undefined) index.set(member.value, [...(index.get(member.value) ?? []), String(group.displayName)]);
      }
    }
    startIndex += groups.length;
    if (groups.length === 0 || startIndex > (list.totalResults ?? 0)) return index;
  }
}

/** The Group named `displayName`, with its members when a PUT must carry them. */
async function groupNamed(ctx: ScimContext, displayName: string, withMembers: boolean): Promise<ScimResource> {
  const answer = await ctx.request('GET', '/Groups', `find group ${displayName}`, {
    query: { filter: `displayName eq ${filterString(displayName)}`, ...(withMembers ? {} : { excludedAttributes: 'members' }) },
  });
  const group = (answer.body as ScimListResponse).Resources?.[0];
  if (!group?.id) throw new ConnectorError('schema-violation', `group ${displayName} does not exist on ${ctx.baseUrl}`, 404);
  return group;
}

/** One membership change of a group: PATCH, or PUT of the group where the service has no PATCH. */
async function changeMembers(ctx: ScimContext, displayName: string, op: PatchOperation, what: string): Promise<void> {
  const patch = await ctx.patchSupported();
  const group = await groupNamed(ctx, displayName, !patch);
  if (patch) {
    await ctx.request('PATCH', `/Groups/${group.id}`, what, { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [op] } });
  } else {
    const { meta: _meta, ...changed } = applyOperations(group, [op]);
    await ctx.request('PUT', `/Groups/${group.id}`, what, { body: changed, ...(group.meta?.version ? { ifMatch: group.meta.version } : {}) });
  }
}

const names = (values: readonly AttributeValue[] | undefined) => (values ?? []).map(String);
const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Applies the association's deltas (group displayNames) for the user `userId`. */
export async function applyMembershipDeltas(ctx: ScimContext, userId: string, deltas: readonly AttributeDelta[]): Promise<void> {
  const current = await groupsOf(ctx, userId);
  for (const delta of deltas) {
    const add = names(delta.add);
    const remove = names(delta.delete);
    if (delta.replace !== undefined) {
      add.push(...names(delta.replace));
      remove.push(...current.filter((g) => !names(delta.replace).some((w) => sameName(w, g))));
    }
    for (const group of add.filter((g) => !current.some((c) => sameName(c, g)))) {
      await changeMembers(ctx, group, { op: 'add', path: 'members', value: [{ value: userId }] }, `add ${userId} to group ${group}`);
      current.push(group);
    }
    for (const group of remove.filter((g) => current.some((c) => sameName(c, g)))) {
      await changeMembers(ctx, group, { op: 'remove', path: valuePath('members', userId) }, `remove ${userId} from group ${group}`);
      current.splice(current.findIndex((c) => sameName(c, group)), 1);
    }
  }
}

/** Before a delete: the user leaves every group (services need not do it themselves). */
export async function leaveAllGroups(ctx: ScimContext, userId: string): Promise<void> {
  for (const group of await groupsOf(ctx, userId)) {
    await changeMembers(ctx, group, { op: 'remove', path: valuePath('members', userId) }, `remove ${userId} from group ${group}`);
  }
}

/** The association carried in this attribute, if it is one. */
export function associationOf(associations: readonly ScimAssociation[], name: string): ScimAssociation | undefined {
  return associations.find((a) => a.attribute.toLowerCase() === name.toLowerCase());
}
