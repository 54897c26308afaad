/**
 * Tally as a SCIM 2.0 service provider (RFC 7644) under `/scim/v2`: services push the users and groups of
 * a `scim-service` resource, which their bearer token selects. Each route is declared once, as the API's
 * are (so the OpenAPI document lists them); the answers are SCIM's (`application/scim+json`, SCIM error
 * bodies), and the token is the resource's, not the API's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BacklogFullError } from '../../admin/change-events';
import {
  changePushedObject,
  createPushedObject,
  deletePushedObject,
  pushedObject,
  scimSourceOfToken,
  ScimObjectNotFoundError,
  ScimUniquenessError,
  ScimVersionMismatchError,
} from '../../admin/scim-pushes';
import type { StoredResource } from '../../repository/repository';
import { SCIM_SCHEMAS, scimPatchSchema, type ScimResourceType } from '../../schema/scim';
import { issueList, problemsSentence } from '../../schema/api';
import { apiRoute, registerRoutes, type ApiRoute, type RouteContext } from '../route-definitions';
import { MAX_RESULTS, resourceType, resourceTypes, serviceProviderConfig } from './scim-discovery';
import { answerScimError, invalid, SCIM_CONTENT_TYPE, ScimProtocolError } from './scim-errors';
import { parseFilter } from './scim-filter';
import { applyPatch } from './scim-patch';
import { etagOf, projected, representation, resourceToKeep } from './scim-representation';
import { publishedSchema, scimSchemas } from './scim-schemas';

export const SCIM_PREFIX = '/scim/v2';

/** The resource each request's token selected. */
const sources = new WeakMap<FastifyRequest, StoredResource>();

function sourceOf(reply: FastifyReply): StoredResource {
  const source = sources.get(reply.request);
  if (!source) throw new ScimProtocolError(401, undefined, 'send Authorization: Bearer <the token of a scim-service resource>');
  return source;
}

/** The base of `meta.location`: where the service reached Tally. */
const baseOf = (reply: FastifyReply) => `${reply.request.protocol}://${reply.request.headers.host ?? 'localhost'}${SCIM_PREFIX}`;

const listResponse = (resources: unknown[], total = resources.length, startIndex = 1) => ({
  schemas: [SCIM_SCHEMAS.listResponse],
  totalResults: total,
  itemsPerPage: resources.length,
  startIndex,
  Resources: resources,
});

const listQuerySchema = z.object({
  filter: z.string().optional(),
  startIndex: z.coerce.number().int().optional(),
  count: z.coerce.number().int().optional(),
  attributes: z.string().optional(),
  excludedAttributes: z.string().optional(),
});
type ListQuery = z.output<typeof listQuerySchema>;

const projectionQuerySchema = listQuerySchema.pick({ attributes: true, excludedAttributes: true });

const scimBody = (summary: string) => ({ schema: z.record(z.string(), z.unknown()).meta({ description: summary }) });

const errorAnswers = {
  '400': { description: 'SCIM error: invalidSyntax, invalidValue, invalidFilter, invalidPath, noTarget or mutability' },
  '401': { description: "no token, or none of a scim-service resource's" },
  '429': { description: 'the resource has too many change events waiting: send again after Retry-After seconds' },
};

async function list(reply: FastifyReply, type: ScimResourceType, query: ListQuery) {
  const source = sourceOf(reply);
  const filter = query.filter !== undefined && query.filter.trim() !== '' ? parseFilter(query.filter, type) : undefined;
  const startIndex = Math.max(1, query.startIndex ?? 1);
  const count = Math.min(MAX_RESULTS, Math.max(0, query.count ?? MAX_RESULTS));
  const { total, objects } = await reply.server.scimContext.services.repo.scimObjects.list(source.oid, type, filter, startIndex - 1, count);
  const base = baseOf(reply);
  return scimAnswer(reply, 200, listResponse(objects.map((o) => projected(representation(o, base), query)), total, startIndex));
}

function scimAnswer(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}) {
  return reply.code(status).headers({ ...headers, 'content-type': SCIM_CONTENT_TYPE }).send(body);
}

function objectAnswer(reply: FastifyReply, status: number, object: Parameters<typeof representation>[0], query: { attributes?: string; excludedAttributes?: string } = {}) {
  const body = representation(object, baseOf(reply));
  return scimAnswer(reply, status, projected(body, query), { etag: etagOf(object), location: String((body.meta as { location: string }).location) });
}

const ifMatchOf = (reply: FastifyReply) => {
  const header = reply.request.headers['if-match'];
  return Array.isArray(header) ? header.join(',') : header;
};

function objectRoutes(type: ScimResourceType): ApiRoute[] {
  const path = `${SCIM_PREFIX}/${type}s`;
  const id = { id: { description: `the ${type}'s SCIM id, which Tally assigned` } };
  const services = (reply: FastifyReply) => reply.server.scimContext.services;
  return [
    apiRoute<unknown, ListQuery>({
      method: 'GET',
      url: path,
      summary: `SCIM: the ${type}s pushed to the token's resource, filtered (eq, ne, co, sw, ew, gt, ge, lt, le, pr, and, or, not) and paged (startIndex, count)`,
      query: {
        schema: listQuerySchema,
        invalid: 'invalid query',
        documented: {
          fields: {
            filter: 'a SCIM filter, e.g. userName eq "bjensen"',
            startIndex: '1-based index of the first result',
            count: `results per page (at most ${MAX_RESULTS})`,
            attributes: 'only these attributes (comma-separated)',
            excludedAttributes: 'all but these attributes (comma-separated)',
          },
        },
      },
      responses: { '200': { description: 'a SCIM ListResponse' }, ...errorAnswers },
      handle: async (_context, { query }, reply) => list(reply, type, query),
    }),
    apiRoute({
      method: 'POST',
      url: `${path}/.search`,
      summary: `SCIM: the ${type}s pushed to the token's resource, the query in a SearchRequest body`,
      body: scimBody('a SCIM SearchRequest: filter, startIndex, count, attributes, excludedAttributes'),
      responses: { '200': { description: 'a SCIM ListResponse' }, ...errorAnswers },
      handle: async (_context, { body }, reply) => {
        const search = (body ?? {}) as Record<string, unknown>;
        const names = (v: unknown) => (Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : undefined);
        const query = listQuerySchema.safeParse({ ...search, attributes: names(search.attributes), excludedAttributes: names(search.excludedAttributes) });
        if (!query.success) throw invalid('invalidSyntax', problemsSentence(issueList(query.error)));
        return list(reply, type, query.data);
      },
    }),
    apiRoute({
      method: 'POST',
      url: path,
      summary: `SCIM: push a new ${type}; its change goes through the resource's synchronization (as live sync's)`,
      body: scimBody(`a SCIM ${type}`),
      responses: { '201': { description: `the ${type} as stored, with its id and meta; ETag and Location` }, '409': { description: 'uniqueness: the userName is taken' }, ...errorAnswers },
      handle: async (_context, { body }, reply) => objectAnswer(reply, 201, await createPushedObject(services(reply), sourceOf(reply), type, resourceToKeep(body, type))),
    }),
    apiRoute<unknown, z.output<typeof projectionQuerySchema>>({
      method: 'GET',
      url: `${path}/:id`,
      summary: `SCIM: one ${type}`,
      params: id,
      query: { schema: projectionQuerySchema, invalid: 'invalid query', documented: { fields: { attributes: 'only these attributes', excludedAttributes: 'all but these attributes' } } },
      responses: { '200': { description: `the ${type}, with its ETag` }, '404': { description: `no such ${type}` }, ...errorAnswers },
      handle: async (_context, { params, query }, reply) => objectAnswer(reply, 200, await pushedObject(services(reply), sourceOf(reply), type, params.id!), query),
    }),
    apiRoute({
      method: 'PUT',
      url: `${path}/:id`,
      summary: `SCIM: replace a ${type} (If-Match: its ETag, or 412)`,
      params: id,
      headers: { 'if-match': 'the ETag the change is based on' },
      body: scimBody(`a SCIM ${type}`),
      responses: { '200': { description: `the ${type} as stored` }, '404': { description: `no such ${type}` }, '409': { description: 'uniqueness' }, '412': { description: 'If-Match is not its ETag' }, ...errorAnswers },
      handle: async (_context, { params, body }, reply) => {
        const content = resourceToKeep(body, type);
        return objectAnswer(reply, 200, await changePushedObject(services(reply), sourceOf(reply), type, params.id!, ifMatchOf(reply), () => content));
      },
    }),
    apiRoute({
      method: 'PATCH',
      url: `${path}/:id`,
      summary: `SCIM: change a ${type}: add, replace, remove (any letter case), value paths such as members[value eq "..."]`,
      params: id,
      headers: { 'if-match': 'the ETag the change is based on' },
      body: scimBody('a SCIM PatchOp'),
      responses: { '200': { description: `the ${type} as stored` }, '404': { description: `no such ${type}` }, '409': { description: 'uniqueness' }, '412': { description: 'If-Match is not its ETag' }, ...errorAnswers },
      handle: async (_context, { params, body }, reply) => {
        const patch = scimPatchSchema.safeParse(body);
        if (!patch.success) throw invalid('invalidSyntax', problemsSentence(issueList(patch.error)));
        return objectAnswer(reply, 200, await changePushedObject(services(reply), sourceOf(reply), type, params.id!, ifMatchOf(reply), (current) => applyPatch(current, patch.data, type)));
      },
    }),
    apiRoute({
      method: 'DELETE',
      url: `${path}/:id`,
      summary: `SCIM: delete a ${type}; for a user, the resource's deleted reaction decides what happens to its owner`,
      params: id,
      headers: { 'if-match': 'the ETag the deletion is based on' },
      responses: { '204': { description: 'deleted' }, '404': { description: `no such ${type}` }, '412': { description: 'If-Match is not its ETag' }, ...errorAnswers },
      handle: async (_context, { params }, reply) => {
        await deletePushedObject(services(reply), sourceOf(reply), type, params.id!, ifMatchOf(reply));
        return reply.code(204).send();
      },
    }),
  ];
}

const discoveryRoutes: ApiRoute[] = [
  apiRoute({
    method: 'GET',
    url: `${SCIM_PREFIX}/ServiceProviderConfig`,
    summary: 'SCIM: what this service provider supports',
    responses: { '200': { description: 'the ServiceProviderConfig' }, '401': errorAnswers['401'] },
    handle: async (_context, _input, reply) => scimAnswer(reply, 200, serviceProviderConfig(baseOf(reply))),
  }),
  apiRoute({
    method: 'GET',
    url: `${SCIM_PREFIX}/ResourceTypes`,
    summary: 'SCIM: the resource types served, User and Group',
    responses: { '200': { description: 'a ListResponse of ResourceTypes' }, '401': errorAnswers['401'] },
    handle: async (_context, _input, reply) => scimAnswer(reply, 200, listResponse(resourceTypes(baseOf(reply)))),
  }),
  apiRoute({
    method: 'GET',
    url: `${SCIM_PREFIX}/ResourceTypes/:id`,
    summary: 'SCIM: one resource type',
    params: { id: { description: 'User or Group' } },
    responses: { '200': { description: 'the ResourceType' }, '404': { description: 'no such resource type' }, '401': errorAnswers['401'] },
    handle: async (_context, { params }, reply) => {
      if (params.id !== 'User' && params.id !== 'Group') throw new ScimProtocolError(404, undefined, `no resource type ${params.id}`);
      return scimAnswer(reply, 200, resourceType(params.id, baseOf(reply)));
    },
  }),
  apiRoute({
    method: 'GET',
    url: `${SCIM_PREFIX}/Schemas`,
    summary: 'SCIM: the schemas served: User, the enterprise extension, Group',
    responses: { '200': { description: 'a ListResponse of Schemas' }, '401': errorAnswers['401'] },
    handle: async (_context, _input, reply) => scimAnswer(reply, 200, listResponse(scimSchemas.map((s) => publishedSchema(s, baseOf(reply))))),
  }),
  apiRoute({
    method: 'GET',
    url: `${SCIM_PREFIX}/Schemas/:id`,
    summary: 'SCIM: one schema, by its URN',
    params: { id: { description: "the schema's URN" } },
    responses: { '200': { description: 'the Schema' }, '404': { description: 'no such schema' }, '401': errorAnswers['401'] },
    handle: async (_context, { params }, reply) => {
      const schema = scimSchemas.find((s) => s.id === params.id);
      if (!schema) throw new ScimProtocolError(404, undefined, `no schema ${params.id}`);
      return scimAnswer(reply, 200, publishedSchema(schema, baseOf(reply)));
    },
  }),
];

const searchAllRoute = apiRoute({
  method: 'POST',
  url: `${SCIM_PREFIX}/.search`,
  summary: 'SCIM: a search across resource types, which Tally does not offer (501): search /Users/.search or /Groups/.search',
  body: scimBody('a SCIM SearchRequest'),
  responses: { '501': { description: 'not implemented' }, '401': errorAnswers['401'] },
  handle: async () => {
    throw new ScimProtocolError(501, undefined, 'searching several resource types at once is not supported: search /Users/.search or /Groups/.search');
  },
});

export const scimRoutes: readonly ApiRoute[] = [...discoveryRoutes, searchAllRoute, ...objectRoutes('User'), ...objectRoutes('Group')];

declare module 'fastify' {
  interface FastifyInstance {
    scimContext: RouteContext;
  }
}

/** What the handlers' errors are in SCIM's words. */
function answerError(error: unknown, reply: FastifyReply) {
  if (error instanceof ScimProtocolError) return answerScimError(reply, error.status, error.detail, error.scimType);
  if (error instanceof ScimObjectNotFoundError) return answerScimError(reply, 404, error.message);
  if (error instanceof ScimUniquenessError) return answerScimError(reply, 409, error.message, 'uniqueness');
  if (error instanceof ScimVersionMismatchError) return answerScimError(reply, 412, error.message);
  if (error instanceof BacklogFullError) return answerScimError(reply, 429, error.message, undefined, { 'retry-after': String(error.retryAfterSeconds) });
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500) return answerScimError(reply, status, (error as Error).message, status === 400 ? 'invalidSyntax' : undefined);
  return answerScimError(reply, 500, `the request failed: ${(error as Error).message}`);
}

/** Serves the SCIM routes in a scope of their own: their content type, token check, errors and unknown paths. */
export function registerScim(app: FastifyInstance, context: RouteContext): void {
  const relative = scimRoutes.map((route) => ({ ...route, url: route.url.slice(SCIM_PREFIX.length) }));
  void app.register(
    async (scim) => {
    scim.decorate('scimContext', context);
    scim.addContentTypeParser(['application/scim+json'], { parseAs: 'string' }, scim.getDefaultJsonParser('remove', 'remove'));
    scim.addHook('onRequest', async (request, reply) => {
      const header = request.headers.authorization ?? '';
      const source = /^bearer /i.test(header) ? await scimSourceOfToken(context.services, header.slice(7).trim()) : null;
      if (!source) return answerScimError(reply, 401, "send Authorization: Bearer <the token of a scim-service resource>", undefined, { 'www-authenticate': 'Bearer' });
      sources.set(request, source);
    });
    scim.setErrorHandler(async (error, _request, reply) => answerError(error, reply));
    scim.setNotFoundHandler(async (request, reply) => answerScimError(reply, 404, `no ${request.method} ${request.url.split('?')[0]} in this SCIM service provider`));
    registerRoutes(scim, relative, context);
    },
    { prefix: SCIM_PREFIX },
  );
}
