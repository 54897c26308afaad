/**
 * Reading Users: by id, by userName (`filter=userName eq "..."`), and in pages by startIndex/count, with
 * only the attributes asked for (`attributes=`) and their group memberships when wanted; the schema from
 * the service's /Schemas.
 */
import type { ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { ObjectIdentifiers } from '../identifiers';
import { requireIdentifier } from '../identifiers';
import { decodeCursor, encodeCursor } from '../search-cursor';
import { ENABLE_ATTRIBUTE, filterString, PASSWORD_ATTRIBUTE, scimPath, toAttributes } from './scim-attributes';
import type { ScimContext } from './scim-connection';
import { associationOf, groupsOf, membershipIndex } from './scim-memberships';
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER, GROUP_CLASS, USER_CLASS, type ScimListResponse, type ScimResource } from './scim-types';


/** The query's `attributes` for `attributesToGet` (everything when undefined): always the id and userName. */
function attributesQuery(ctx: ScimContext, attributesToGet?: readonly string[]): { attributes?: string } {
  if (!attributesToGet) return {};
  const paths = attributesToGet.filter((a) => !associationOf(ctx.associations, a)).map((a) => scimPath(a, ctx.enterprise));
  return { attributes: [...new Set(['userName', ...paths])].join(',') };
}

function wantedAssociations(ctx: ScimContext, attributesToGet?: readonly string[]) {
  return attributesToGet ? ctx.associations.filter((a) => attributesToGet.some((n) => n.toLowerCase() === a.attribute.toLowerCase())) : ctx.associations;
}

export function toObject(ctx: ScimContext, user: ScimResource, attributesToGet?: readonly string[]): ResourceObject {
  return {
    primaryIdentifier: String(user.id),
    secondaryIdentifier: String(user.userName),
    objectClass: USER_CLASS,
    attributes: toAttributes(user, ctx.enterprise, attributesToGet),
  };
}

/** The user as a resource object with its memberships (one filtered read of the Groups). */
export async function withMemberships(ctx: ScimContext, user: ScimResource, attributesToGet?: readonly string[]): Promise<ResourceObject> {
  const object = toObject(ctx, user, attributesToGet);
  const wanted = wantedAssociations(ctx, attributesToGet);
  if (wanted.length === 0) return object;
  const groups = await groupsOf(ctx, object.primaryIdentifier);
  if (groups.length > 0) for (const a of wanted) object.attributes[a.attribute] = groups;
  return object;
}

/** The User as the service has it now, with the version (ETag) it is at. */
export async function readUser(ctx: ScimContext, identifiers: ObjectIdentifiers, what: string, attributesToGet?: readonly string[]): Promise<{ user: ScimResource; etag?: string }> {
  requireIdentifier(identifiers);
  const query = attributesQuery(ctx, attributesToGet);
  if (identifiers.primaryIdentifier !== undefined) {
    const answer = await ctx.request('GET', `/Users/${encodeURIComponent(identifiers.primaryIdentifier)}`, what, { query });
    return { user: answer.body, ...(answer.etag ? { etag: answer.etag } : {}) };
  }
  const name = identifiers.secondaryIdentifier!;
  const answer = await ctx.request('GET', '/Users', what, { query: { ...query, filter: `userName eq ${filterString(name)}` } });
  const user = (answer.body as ScimListResponse).Resources?.[0];
  if (!user) throw new ConnectorError('not-found', `${what} on ${ctx.baseUrl}: no user ${name}`, 404);
  return { user, ...(user.meta?.version ? { etag: user.meta.version } : {}) };
}

export async function getUser(ctx: ScimContext, identifiers: ObjectIdentifiers, attributesToGet?: string[]): Promise<ResourceObject> {
  const what = `get ${identifiers.primaryIdentifier ?? identifiers.secondaryIdentifier}`;
  const { user } = await readUser(ctx, identifiers, what, attributesToGet);
  return withMemberships(ctx, user, attributesToGet);
}

/** Where a search goes on: an index (RFC 7644 §3.4.2.4), or the service's own cursor (RFC 9865). */
type Position = { startIndex: number } | { cursor: string };
const isPosition = (d: unknown): d is Position =>
  typeof d === 'object' &&
  d !== null &&
  ((Number.isInteger((d as { startIndex?: unknown }).startIndex) && (d as { startIndex: number }).startIndex >= 1) || typeof (d as { cursor?: unknown }).cursor === 'string');

/**
 * A page of users: by the service's cursor where its ServiceProviderConfig offers one (the service keeps
 * the position), else by startIndex/count (a user created or deleted meanwhile before the position shifts
 * the rest by one; the next reconciliation sees what one missed).
 */
export async function searchUsers(ctx: ScimContext, options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }) {
  const at: Position = options.cursor ? decodeCursor(options.cursor, isPosition) : (await ctx.pagesByCursor()) ? { cursor: '' } : { startIndex: 1 };
  const count = options.pageSize ?? ctx.config.pageSize;
  const where = 'cursor' in at ? 'by cursor' : `from ${at.startIndex}`;
  const answer = await ctx.request('GET', '/Users', `search users ${where}`, { query: { ...attributesQuery(ctx, options.attributesToGet), ...at, count } });
  const list = answer.body as ScimListResponse;
  const users = list.Resources ?? [];
  const objects = users.map((u) => toObject(ctx, u, options.attributesToGet));
  const wanted = wantedAssociations(ctx, options.attributesToGet);
  if (wanted.length > 0 && objects.length > 0) {
    const index = await membershipIndex(ctx);
    for (const object of objects) {
      const groups = index.get(object.primaryIdentifier);
      if (groups?.length) for (const a of wanted) object.attributes[a.attribute] = groups;
    }
  }
  let next: Position | undefined;
  if ('cursor' in at) next = list.nextCursor ? { cursor: list.nextCursor } : undefined;
  else if (users.length > 0 && at.startIndex + users.length <= (list.totalResults ?? 0)) next = { startIndex: at.startIndex + users.length };
  return { objects, ...(next ? { cursor: encodeCursor(next) } : {}) };
}

interface SchemaAttribute {
  name: string;
  type?: string;
  multiValued?: boolean;
  subAttributes?: SchemaAttribute[];
}

/** A schema's attributes as Tally names them (see scim-attributes.ts). */
function attributeNames(attributes: readonly SchemaAttribute[], extension: boolean): string[] {
  return attributes.flatMap((a) => {
    if (a.name === 'id') return [];
    if (a.name === 'active') return [ENABLE_ATTRIBUTE, 'active'];
    if (a.type !== 'complex' || a.multiValued) return [a.name];
    if (extension && a.name === 'manager') return [a.name];
    return (a.subAttributes ?? []).map((s) => `${a.name}.${s.name}`);
  });
}

async function schemas(ctx: ScimContext): Promise<Map<string, SchemaAttribute[]>> {
  const answer = await ctx.request('GET', '/Schemas', 'read the schemas');
  const list = (answer.body as ScimListResponse).Resources ?? [];
  return new Map(list.map((s) => [String(s.id), (s.attributes as SchemaAttribute[] | undefined) ?? []]));
}

/** The User's attributes: the core schema's and, when the extension is on, the enterprise one's. */
export async function readSchema(ctx: ScimContext, read?: Map<string, SchemaAttribute[]>): Promise<{ objectClass: string; attributes: string[] }> {
  const all = read ?? (await schemas(ctx));
  const attributes = [...attributeNames(all.get(CORE_USER) ?? [], false), ...(ctx.enterprise ? attributeNames(all.get(ENTERPRISE_USER) ?? [], true) : [])];
  if (!attributes.includes(PASSWORD_ATTRIBUTE) && all.has(CORE_USER)) attributes.push(PASSWORD_ATTRIBUTE);
  return { objectClass: USER_CLASS, attributes };
}

export async function attributesOf(ctx: ScimContext, objectClasses: readonly string[]): Promise<{ attributes: string[]; unknownClasses: string[] }> {
  const all = await schemas(ctx);
  const attributes = new Set<string>();
  const unknownClasses: string[] = [];
  for (const oc of objectClasses) {
    if (oc.toLowerCase() === USER_CLASS.toLowerCase()) (await readSchema(ctx, all)).attributes.forEach((a) => attributes.add(a));
    else if (oc.toLowerCase() === GROUP_CLASS.toLowerCase()) attributeNames(all.get(CORE_GROUP) ?? [], false).forEach((a) => attributes.add(a));
    else unknownClasses.push(oc);
  }
  return { attributes: [...attributes], unknownClasses };
}
