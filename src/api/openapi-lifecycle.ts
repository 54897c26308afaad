/**
 * OpenAPI for the listings and lifecycle routes, from their zod schemas, and the error answers every
 * route can give (each with the one error body schema).
 */
import { z } from 'zod';
import {
  errorBodySchema,
  operationActionSchema,
  resourceListingSchema,
  resourceTestSchema,
  roleListingSchema,
  templateListingSchema,
  userCreationSchema,
  userDeletionQuerySchema,
  userDeletionSchema,
  userListingSchema,
  userPropertiesSchema,
} from '../schema/api';

type Operation = { responses: Record<string, { description: string; content?: unknown }>; requestBody?: unknown; [key: string]: unknown };
type PathItem = Record<string, unknown>;

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => ({ 'application/json': { schema: z.toJSONSchema(schema, { io }) } });
const ok = (description: string, schema: z.ZodType) => ({ description, content: json(schema) });
const path = (name: string, description: string, example?: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' }, ...(example ? { example } : {}) });

/** The examples are the seeds' (examples/): jack and the SQL resource. */
export const userRef = path('ref', 'user oid or name', 'jack');
export const resourceRef = path('ref', 'resource oid or name', 'MyLittleAD');

export const lifecyclePaths: Record<string, PathItem> = {
  '/api/v1/health': {
    get: {
      summary: 'Whether the API answers (no token needed)',
      security: [],
      responses: { '200': ok('{ status: "ok" }', z.object({ status: z.literal('ok') })) },
    },
  },
  '/api/v1/openapi.json': {
    get: { summary: 'This document (no token needed)', security: [], responses: { '200': { description: 'the OpenAPI document' } } },
  },
  '/api/v1/users': {
    get: {
      summary: 'Users in name order, a page at a time; `next` (and `nextLink`) give the next page',
      parameters: [
        { name: 'name', in: 'query', required: false, description: 'only users whose name contains this (any case)', schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false, description: 'users per page, 1-500 (default 50)', schema: { type: 'integer', minimum: 1, maximum: 500 } },
        { name: 'after', in: 'query', required: false, description: 'the `next` of the previous page', schema: { type: 'string' } },
      ],
      responses: { '200': ok('a page of users', userListingSchema), '400': { description: 'invalid query: a limit out of range, an unknown parameter' } },
    },
    post: {
      summary: 'Create a user with properties and roles; his provisionUser workflow provisions his accounts',
      requestBody: { required: true, content: json(userCreationSchema.extend({ properties: userPropertiesSchema.optional() }), 'input') },
      responses: {
        '201': { description: 'created: { user, changedPaths, provisioningWorkflowId }' },
        '400': { description: 'invalid body or unknown property' },
        '404': { description: 'an unknown role or object template: { error, message, problems: [{ field, message }] }' },
        '409': { description: 'a user with this name exists' },
      },
    },
  },
  '/api/v1/users/{ref}': {
    parameters: [userRef],
    delete: {
      summary: 'Delete a user (workflow deleteUser, delete-user:<oid>): his accounts are deprovisioned as his assignments say, then he is removed; ?wait=true answers when he is gone',
      parameters: [
        {
          name: 'deletion',
          in: 'query',
          style: 'form',
          explode: true,
          description: 'wait=true: wait for the outcome; timeout (with wait=true): give up waiting after this long (500ms, 30s, 5m...; default 30s), the deletion goes on',
          schema: z.toJSONSchema(userDeletionQuerySchema, { io: 'input' }),
        },
      ],
      responses: {
        '200': ok('with ?wait=true: the outcome', userDeletionSchema),
        '202': ok('the deletion started (or joined the one running); with ?wait=true, still going at the timeout: `waiting` says what it waits for', userDeletionSchema),
        '400': { description: 'a bad query (timeout without wait=true, or not a duration)' },
        '404': { description: 'no such user' },
      },
    },
  },
  '/api/v1/resources': { get: { summary: 'Configured resources with their live sync and reconciliation settings and shadow counts', responses: { '200': ok('resources', z.array(resourceListingSchema)) } } },
  '/api/v1/resources/{ref}': {
    parameters: [resourceRef],
    get: { summary: 'One resource', responses: { '200': ok('the resource', resourceListingSchema), '404': { description: 'no such resource' } } },
  },
  '/api/v1/resources/{ref}/test': {
    parameters: [resourceRef],
    post: {
      summary: 'Test the resource: connection and login, object classes (tables) and mapped attributes (columns); `ok` is false when a check failed',
      responses: { '200': ok('each check with ok and why', resourceTestSchema), '404': { description: 'no such resource' } },
    },
  },
  '/api/v1/roles': { get: { summary: 'Configured roles and what each gives', responses: { '200': ok('roles', z.array(roleListingSchema)) } } },
  '/api/v1/templates': { get: { summary: 'Configured object templates and their mappings', responses: { '200': ok('templates', z.array(templateListingSchema)) } } },
  '/api/v1/operations/{id}/{action}': {
    parameters: [
      path('id', 'the operation\'s workflow id, as /api/v1/status lists it (URL-encoded)'),
      { name: 'action', in: 'path', required: true, description: 'retry or cancel', schema: { type: 'string', enum: ['retry', 'cancel'] } },
    ],
    post: {
      summary:
        'retry: a failed operation runs again from its start (a waiting account operation tries now); cancel: the operation is given up (an account\'s pending operations marked cancelled and audited) and /api/v1/status no longer lists it',
      responses: {
        '200': ok('what was done', operationActionSchema),
        '404': { description: 'no such operation, or no such action' },
        '409': { description: 'the operation is not stuck (it completed, or runs fine), or its account operation is being executed right now' },
      },
    },
  },
};

const errorDescriptions: Record<string, string> = {
  '400': 'invalid request (a body that is not JSON or that the route does not accept, a path that is not valid URL encoding)',
  '414': 'a path parameter longer than 2,000 characters',
  '415': 'a body that is not application/json',
  '401': 'no or wrong token',
  '500': 'an unexpected error; the message says what',
};
const methods = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Every operation's error answers: 401 unless the route is public, 400 and 415 for anything but a GET (a
 * body that isn't JSON), 400 and 414 where the path has parameters (bad URL encoding, too long), 500
 * everywhere; each 4xx and 5xx answer carries the error body schema.
 */
export function withErrorResponses<T extends { paths: Record<string, PathItem> }>(document: T): T {
  const errorContent = json(errorBodySchema);
  for (const [route, item] of Object.entries(document.paths)) {
    const hasPathParameters = route.includes('{');
    for (const method of methods) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      // Any request but a GET may carry a body, and one that isn't JSON is refused before the route runs.
      const add = [
        ...(isPublic ? [] : ['401']),
        ...(method !== 'get' || hasPathParameters ? ['400'] : []),
        ...(hasPathParameters ? ['414'] : []),
        ...(method !== 'get' ? ['415'] : []),
        '500',
      ];
      for (const status of add) operation.responses[status] ??= { description: errorDescriptions[status] };
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !response.content) response.content = errorContent;
      }
    }
  }
  return document;
}

/** The document with more path items merged in (a path both have gets the methods of both). */
export function withPaths<T extends { paths: Record<string, PathItem> }>(more: Record<string, PathItem>, document: T): T {
  const paths: Record<string, PathItem> = { ...document.paths };
  for (const [route, item] of Object.entries(more)) paths[route] = { ...item, ...paths[route] };
  return { ...document, paths };
}
