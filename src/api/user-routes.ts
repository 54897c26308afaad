/** The HTTP API's routes on one user: read him, set his properties, assign and unassign. */
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { Services } from '../runtime/services';
import { assignmentRequestSchema, userPropertyChangesSchema } from '../schema/api';
import { presentUser } from '../admin/inspect';
import { assignToUser, setUserProperties, unassignFromUser, UserCommandError, type UserCommandResult } from '../admin/user-commands';
import { answerUserCommandError } from './error-answers';
import { apiRoute, userRef, type ApiRoute } from './route-definitions';

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
    return answerUserCommandError(reply, e);
  }
}

type UserCommand = (services: Services, ref: string, body: unknown, channel: 'api') => Promise<UserCommandResult>;

// The body is checked by the user command (the CLI's too), so it goes to it as sent.
function userChangeRoute(method: 'PATCH' | 'POST' | 'DELETE', url: string, summary: string, schema: z.ZodType, command: UserCommand): ApiRoute {
  return apiRoute({
    method,
    url,
    summary,
    params: { ref: userRef },
    body: { schema },
    responses: userChangeResponses,
    handle: async ({ services }, { params, body }, reply) => userChange(reply, () => command(services, params.ref, body, 'api')),
  });
}

export const userRoutes = [
  apiRoute({
    method: 'GET',
    url: '/api/v1/users/:ref',
    summary: 'A user by oid or name',
    params: { ref: userRef },
    responses: { '200': { description: 'the user' }, '404': { description: 'no such user' } },
    handle: async ({ services }, { params }, reply) => {
      const user = await services.repo.users.byRef(params.ref);
      if (!user) return reply.code(404).send({ error: 'not found', message: `no user '${params.ref}'` });
      return presentUser(user);
    },
  }),
  userChangeRoute('PATCH', '/api/v1/users/:ref', 'Set user properties (null or "" clears one) and recompute the accounts', userPropertyChangesSchema, setUserProperties),
  userChangeRoute('POST', '/api/v1/users/:ref/assignments', 'Assign a role or a resource account and provision it', assignmentRequestSchema, assignToUser),
  userChangeRoute(
    'DELETE',
    '/api/v1/users/:ref/assignments',
    'Remove an assignment (given in the body); accounts no other assignment needs are deleted',
    assignmentRequestSchema,
    unassignFromUser,
  ),
];
