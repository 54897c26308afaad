/**
 * The HTTP API's listings and lifecycle routes: users (list, create, delete), resources (list, show,
 * test), roles, templates, and retrying or cancelling stuck operations. Every error answer has the
 * shape of `errorBodySchema`.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { issueList, problemsSentence, userDeletionQuerySchema, userListQuerySchema } from '../schema/api';
import type { Services } from '../runtime/services';
import { listResources, listRoles, listTemplates, listUsers, showResource } from '../admin/listings';
import { createUser, UserExistsError } from '../admin/user-creation';
import { deleteUser } from '../admin/user-deletion';
import { testResource } from '../admin/resource-test';
import { cancelOperation, OperationNotFoundError, OperationNotStuckError, retryOperation } from '../admin/operation-control';
import { OperationExecutingError } from '../provisioning';
import { UnknownResourceError } from '../admin/resource-runs';
import { UserCommandError } from '../admin/user-commands';

/** Domain errors as HTTP answers; anything else is the server's fault (500). */
async function answering<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof UserCommandError) {
      return reply.code(e.kind === 'not-found' ? 404 : 400).send({ error: e.kind === 'not-found' ? 'not found' : 'invalid request', message: e.message, problems: e.problems });
    }
    if (e instanceof UnknownResourceError || e instanceof OperationNotFoundError) return reply.code(404).send({ error: 'not found', message: e.message });
    if (e instanceof UserExistsError) return reply.code(409).send({ error: 'exists', message: e.message });
    if (e instanceof OperationNotStuckError || e instanceof OperationExecutingError) return reply.code(409).send({ error: 'not stuck', message: e.message });
    throw e;
  }
}

function invalidQuery(reply: FastifyReply, problems: Array<{ field: string; message: string }>) {
  return reply.code(400).send({ error: 'invalid query', message: problemsSentence(problems), problems });
}

export function registerLifecycleRoutes(app: FastifyInstance, services: Services): void {
  app.get<{ Querystring: Record<string, string> }>('/api/v1/users', async (request, reply) => {
    const parsed = userListQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) return invalidQuery(reply, issueList(parsed.error));
    const listing = await listUsers(services, parsed.data);
    if (!listing.next) return listing;
    const query = new URLSearchParams({ ...(parsed.data.name ? { name: parsed.data.name } : {}), ...(parsed.data.limit ? { limit: String(parsed.data.limit) } : {}), after: listing.next });
    return { ...listing, nextLink: `/api/v1/users?${query}` };
  });

  app.post<{ Body: unknown }>('/api/v1/users', async (request, reply) =>
    answering(reply, async () => reply.code(201).send(await createUser(services, request.body, 'api'))),
  );

  app.delete<{ Params: { ref: string }; Querystring: Record<string, string> }>('/api/v1/users/:ref', async (request, reply) => {
    const parsed = userDeletionQuerySchema.safeParse(request.query ?? {});
    if (!parsed.success) return invalidQuery(reply, issueList(parsed.error));
    return answering(reply, async () => {
      const deletion = await deleteUser(services, request.params.ref, 'api', parsed.data);
      // 200 with the outcome; 202 when it goes on (not waited for, or still waiting at the timeout).
      return reply.code(deletion.outcome ? 200 : 202).send(deletion);
    });
  });

  app.get('/api/v1/resources', async () => listResources(services));
  app.get<{ Params: { ref: string } }>('/api/v1/resources/:ref', async (request, reply) => {
    const resource = await showResource(services, request.params.ref);
    if (!resource) return reply.code(404).send({ error: 'not found', message: `no resource '${request.params.ref}'` });
    return resource;
  });
  app.post<{ Params: { ref: string } }>('/api/v1/resources/:ref/test', async (request, reply) => answering(reply, () => testResource(services, request.params.ref)));

  app.get('/api/v1/roles', async () => listRoles(services));
  app.get('/api/v1/templates', async () => listTemplates(services));

  app.post<{ Params: { id: string; action: string } }>('/api/v1/operations/:id/:action', async (request, reply) => {
    const { id, action } = request.params;
    if (action !== 'retry' && action !== 'cancel') return reply.code(404).send({ error: 'not found', message: `no operation action '${action}' (retry, cancel)` });
    return answering(reply, () => (action === 'retry' ? retryOperation(services, id) : cancelOperation(services, id)));
  });
}
