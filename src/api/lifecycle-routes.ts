/**
 * The HTTP API's listings and lifecycle routes: users (list, create, delete), resources (list, show,
 * test), roles, templates, and retrying, cancelling or discarding stuck operations. Every error answer has the
 * shape of `errorBodySchema`.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  operationActionSchema,
  operationActions,
  resourceListingSchema,
  resourceTestSchema,
  roleListingSchema,
  templateListingSchema,
  userCreationSchema,
  userDeletionQuerySchema,
  userDeletionSchema,
  userListingSchema,
  userListQuerySchema,
  userPropertiesSchema,
} from '../schema/api';
import { listResources, listRoles, listTemplates, listUsers, showResource } from '../admin/listings';
import { createUser, UserExistsError } from '../admin/user-creation';
import { deleteUser } from '../admin/user-deletion';
import { testResource } from '../admin/resource-test';
import { cancelOperation, discardOperation, OperationNotFoundError, OperationNotStuckError, retryOperation } from '../admin/operation-control';
import { OperationExecutingError } from '../provisioning';
import { UnknownResourceError } from '../admin/resource-runs';
import { UserCommandError } from '../admin/user-commands';
import { answerUserCommandError } from './error-answers';
import { apiRoute, resourceRef, userRef } from './route-definitions';

/** Domain errors as HTTP answers; anything else is the server's fault (500). */
async function answering<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof UserCommandError) return answerUserCommandError(reply, e);
    if (e instanceof UnknownResourceError || e instanceof OperationNotFoundError) return reply.code(404).send({ error: 'not found', message: e.message });
    if (e instanceof UserExistsError) return reply.code(409).send({ error: 'exists', message: e.message });
    if (e instanceof OperationNotStuckError || e instanceof OperationExecutingError) return reply.code(409).send({ error: 'not stuck', message: e.message });
    throw e;
  }
}

export const lifecycleRoutes = [
  apiRoute<unknown, z.output<typeof userListQuerySchema>>({
    method: 'GET',
    url: '/api/v1/users',
    summary: 'Users in name order, a page at a time; `next` (and `nextLink`) give the next page',
    query: {
      schema: userListQuerySchema,
      invalid: 'invalid query',
      documented: {
        fields: {
          name: 'only users whose name contains this (any case)',
          limit: 'users per page, 1-500 (default 50)',
          after: 'the `next` of the previous page',
        },
      },
    },
    responses: { '200': { description: 'a page of users', schema: userListingSchema }, '400': { description: 'invalid query: a limit out of range, an unknown parameter' } },
    handle: async ({ services }, { query }) => {
      const listing = await listUsers(services, query);
      if (!listing.next) return listing;
      const next = new URLSearchParams({ ...(query.name ? { name: query.name } : {}), ...(query.limit ? { limit: String(query.limit) } : {}), after: listing.next });
      return { ...listing, nextLink: `/api/v1/users?${next}` };
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/api/v1/users',
    summary: 'Create a user with properties and roles; his provisionUser workflow provisions his accounts',
    body: { schema: userCreationSchema.extend({ properties: userPropertiesSchema.optional() }) },
    responses: {
      '201': { description: 'created: { user, changedPaths, provisioningWorkflowId }' },
      '400': { description: 'invalid body or unknown property' },
      '404': { description: 'an unknown role or object template: { error, message, problems: [{ field, message }] }' },
      '409': { description: 'a user with this name exists' },
    },
    handle: async ({ services }, { body }, reply) => answering(reply, async () => reply.code(201).send(await createUser(services, body, 'api'))),
  }),
  apiRoute<unknown, z.output<typeof userDeletionQuerySchema>>({
    method: 'DELETE',
    url: '/api/v1/users/:ref',
    summary: 'Delete a user (workflow deleteUser, delete-user:<oid>): his accounts are deprovisioned as his assignments say, then he is removed; ?wait=true answers when he is gone',
    params: { ref: userRef },
    query: {
      schema: userDeletionQuerySchema,
      invalid: 'invalid query',
      documented: {
        name: 'deletion',
        description: 'wait=true: wait for the outcome; timeout (with wait=true): give up waiting after this long (500ms, 30s, 5m...; default 30s), the deletion goes on',
      },
    },
    responses: {
      '200': { description: 'with ?wait=true: the outcome', schema: userDeletionSchema },
      '202': { description: 'the deletion started (or joined the one running); with ?wait=true, still going at the timeout: `waiting` says what it waits for', schema: userDeletionSchema },
      '400': { description: 'a bad query (timeout without wait=true, or not a duration)' },
      '404': { description: 'no such user' },
    },
    handle: async ({ services }, { params, query }, reply) =>
      answering(reply, async () => {
        const deletion = await deleteUser(services, params.ref, 'api', query);
        // 200 with the outcome; 202 when it goes on (not waited for, or still waiting at the timeout).
        return reply.code(deletion.outcome ? 200 : 202).send(deletion);
      }),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/resources',
    summary: 'Configured resources with their live sync and reconciliation settings and shadow counts',
    responses: { '200': { description: 'resources', schema: z.array(resourceListingSchema) } },
    handle: async ({ services }) => listResources(services),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/resources/:ref',
    summary: 'One resource',
    params: { ref: resourceRef },
    responses: { '200': { description: 'the resource', schema: resourceListingSchema }, '404': { description: 'no such resource' } },
    handle: async ({ services }, { params }, reply) => {
      const resource = await showResource(services, params.ref);
      if (!resource) return reply.code(404).send({ error: 'not found', message: `no resource '${params.ref}'` });
      return resource;
    },
  }),
  apiRoute({
    method: 'POST',
    url: '/api/v1/resources/:ref/test',
    summary: 'Test the resource: connection and login, object classes (tables) and mapped attributes (columns); `ok` is false when a check failed',
    params: { ref: resourceRef },
    responses: { '200': { description: 'each check with ok and why', schema: resourceTestSchema }, '404': { description: 'no such resource' } },
    handle: async ({ services }, { params }, reply) => answering(reply, () => testResource(services, params.ref)),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/roles',
    summary: 'Configured roles and what each gives',
    responses: { '200': { description: 'roles', schema: z.array(roleListingSchema) } },
    handle: async ({ services }) => listRoles(services),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/templates',
    summary: 'Configured object templates and their mappings',
    responses: { '200': { description: 'templates', schema: z.array(templateListingSchema) } },
    handle: async ({ services }) => listTemplates(services),
  }),
  apiRoute({
    method: 'POST',
    url: '/api/v1/operations/:id/:action',
    summary:
      'retry: a failed operation runs again from its start (a waiting account operation, or a change being retried or held as failed, tries now); cancel: the operation is given up (an account\'s pending operations marked cancelled and audited) and /api/v1/status no longer lists it; discard: a change being retried or held as failed is dropped (audited) and the changes of its object queued behind it go on (anything else: as cancel)',
    params: {
      id: { description: 'the operation\'s workflow id, as /api/v1/status lists it (URL-encoded)' },
      action: { description: 'retry, cancel or discard', schema: z.enum(operationActions) },
    },
    responses: {
      '200': { description: 'what was done', schema: operationActionSchema },
      '404': { description: 'no such operation, or no such action' },
      '409': { description: 'the operation is not stuck (it completed, or runs fine), or its account operation is being executed right now' },
    },
    handle: async ({ services }, { params: { id, action } }, reply) => {
      if (!(operationActions as readonly string[]).includes(action)) return reply.code(404).send({ error: 'not found', message: `no operation action '${action}' (${operationActions.join(', ')})` });
      return answering(reply, () =>
        action === 'retry' ? retryOperation(services, id) : action === 'cancel' ? cancelOperation(services, id) : discardOperation(services, id, { channel: 'api' }),
      );
    },
  }),
];
