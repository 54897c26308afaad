/** The HTTP API's routes on one user: read him, set his properties, assign and unassign. */
import type { FastifyReply } from 'fastify';
import { assignmentRequestSchema, userPropertyChangesSchema } from '../schema/api';
import { presentUser } from '../admin/inspect';
import { assignToUser, setUserProperties, unassignFromUser, UserCommandError, type UserCommandResult } from '../admin/user-commands';
import { apiRoute, userRef } from './route-definitions';

const userChangeResponses = {
  '200': { description: 'stored: { user, changedPaths, provisioningWorkflowId? } (no workflow when nothing changed)' },
  '400': { description: 'invalid body, unknown property, or an object type the resource does not have: { error, message, problems: [{ field, message }] }' },
  '401': { description: 'no or wrong token' },
  '404': { description: 'no such user, or an unknown role, resource or object template the body names (on DELETE also: no such assignment)' },
};

async function userChange(reply: FastifyReply, work: () => Promise<UserCommandResult>) {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof UserCommandError)) throw e;
    return reply.code(e.kind === 'not-found' ? 404 : 400).send({ error: e.kind === 'not-found' ? 'not found' : 'invalid request', message: e.message, problems: e.problems });
  }
}

// The bodies are checked by the user commands (the CLI's too), so they go to them as sent.
export const userRoutes = [
  apiRoute({
    method: 'GET',
    url: '/api/v1/users/:ref',
    summary: 'A user by oid or name',
    params: { ref: userRef },
    responses: { '200': { description: 'the user' }, '404': { description: 'no such user' } },
    handle: async ({ services }, { params }, reply) => {
      const user = await services.repo.userByRef(params.ref);
      if (!user) return reply.code(404).send({ error: 'not found', message: `no user '${params.ref}'` });
      return presentUser(user);
    },
  }),
  apiRoute({
    method: 'PATCH',
    url: '/api/v1/users/:ref',
    summary: 'Set user properties (null or "" clears one) and recompute the accounts',
    params: { ref: userRef },
    body: { schema: userPropertyChangesSchema },
    responses: userChangeResponses,
    handle: async ({ services }, { params, body }, reply) => userChange(reply, () => setUserProperties(services, params.ref, body, 'api')),
  }),
  apiRoute({
    method: 'POST',
    url: '/api/v1/users/:ref/assignments',
    summary: 'Assign a role or a resource account and provision it',
    params: { ref: userRef },
    body: { schema: assignmentRequestSchema },
    responses: userChangeResponses,
    handle: async ({ services }, { params, body }, reply) => userChange(reply, () => assignToUser(services, params.ref, body, 'api')),
  }),
  apiRoute({
    method: 'DELETE',
    url: '/api/v1/users/:ref/assignments',
    summary: 'Remove an assignment (given in the body); accounts no other assignment needs are deleted',
    params: { ref: userRef },
    body: { schema: assignmentRequestSchema },
    responses: userChangeResponses,
    handle: async ({ services }, { params, body }, reply) => userChange(reply, () => unassignFromUser(services, params.ref, body, 'api')),
  }),
];
