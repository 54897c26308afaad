/**
 * Tally's HTTP API: change notifications from other services and read endpoints for operators, with
 * bearer-token authentication and an OpenAPI document generated from the zod schemas.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { assignmentRequestSchema, changeNotificationSchema, issueList, userPropertyChangesSchema } from '../schema/api';
import { reportChangeNotification } from '../admin/report-change';
import { findShadows, presentUser } from '../admin/inspect';
import { stuckOperations } from '../admin/stuck-operations';
import { getAccount } from '../provisioning';
import { assignToUser, setUserProperties, unassignFromUser, UserCommandError, type UserCommandResult } from '../admin/user-commands';
import type { Services } from '../runtime/services';

export interface ApiOptions {
  services: Services;
  /** Required bearer token; requests without it get 401. */
  token: string;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const refParameter = { name: 'ref', in: 'path', required: true, description: 'user oid or name', schema: { type: 'string' } };
const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } });
const userChangeResponses = {
  '200': { description: 'stored: { user, changedPaths, provisioningWorkflowId? } (no workflow when nothing changed)' },
  '400': { description: 'invalid body, unknown property, role or resource: { error, message, problems: [{ field, message }] }' },
  '401': { description: 'no or wrong token' },
  '404': { description: 'no such user (or, on DELETE, no such assignment)' },
};

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Tally', version: '0.1.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/changes': {
        post: {
          summary: 'Report a change of a resource object; starts (or feeds) its processChange workflow',
          requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(changeNotificationSchema, { io: 'input' }) } } },
          responses: { '202': { description: 'accepted: { workflowId }' }, '400': { description: 'invalid body' }, '401': { description: 'no or wrong token' } },
        },
      },
      '/api/v1/users/{ref}': {
        parameters: [refParameter],
        get: { summary: 'A user by oid or name', responses: { '200': { description: 'the user' }, '404': { description: 'no such user' } } },
        patch: {
          summary: 'Set user properties (null or "" clears one) and recompute the accounts',
          requestBody: jsonBody(userPropertyChangesSchema),
          responses: userChangeResponses,
        },
      },
      '/api/v1/users/{ref}/assignments': {
        parameters: [refParameter],
        post: { summary: 'Assign a role or a resource account and provision it', requestBody: jsonBody(assignmentRequestSchema), responses: userChangeResponses },
        delete: {
          summary: 'Remove an assignment (given in the body); accounts no other assignment needs are deleted',
          requestBody: jsonBody(assignmentRequestSchema),
          responses: userChangeResponses,
        },
      },
      '/api/v1/shadows': { get: { summary: 'Shadows, filtered by ?resource= and ?pending=true', responses: { '200': { description: 'shadows' } } } },
      '/api/v1/shadows/{oid}/account': {
        get: {
          summary: 'An account read through its shadow: pending operations finished first when the resource is up; the shadow as Tally knows it while it is down',
          responses: { '200': { description: '{ state: fresh | pending | gone, resourceUp, account, shadow, message }' }, '404': { description: 'no such shadow' } },
        },
      },
      '/api/v1/status': { get: { summary: 'Operations that are not moving (waiting for a resource, or failed), with their details', responses: { '200': { description: 'stuck operations' } } } },
    },
  };
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/api/v1/health' || request.url === '/api/v1/openapi.json') return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameToken(token, options.token)) {
      await reply.code(401).send({ error: 'unauthorized', message: 'send Authorization: Bearer <TALLY_API_TOKEN>' });
    }
  });
  app.get('/api/v1/health', async () => ({ status: 'ok' }));
  app.get('/api/v1/openapi.json', async () => openApiDocument());

  app.post('/api/v1/changes', async (request, reply) => {
    const parsed = changeNotificationSchema.safeParse(request.body);
    if (!parsed.success) {
      return reply.code(400).send({
        error: 'invalid change notification',
        problems: issueList(parsed.error),
      });
    }
    try {
      const started = await reportChangeNotification(options.services, parsed.data, 'api');
      return reply.code(202).send(started);
    } catch (e) {
      return reply.code(422).send({ error: 'change not accepted', message: (e as Error).message });
    }
  });

  app.get<{ Params: { ref: string } }>('/api/v1/users/:ref', async (request, reply) => {
    const user = await options.services.repo.userByRef(request.params.ref);
    if (!user) return reply.code(404).send({ error: 'not found', message: `no user '${request.params.ref}'` });
    return presentUser(user);
  });

  const userChange = async (reply: FastifyReply, work: () => Promise<UserCommandResult>) => {
    try {
      return await work();
    } catch (e) {
      if (!(e instanceof UserCommandError)) throw e;
      return reply.code(e.kind === 'not-found' ? 404 : 400).send({ error: e.kind === 'not-found' ? 'not found' : 'invalid request', message: e.message, problems: e.problems });
    }
  };
  type UserRoute = { Params: { ref: string }; Body: unknown };
  app.patch<UserRoute>('/api/v1/users/:ref', async (request, reply) =>
    userChange(reply, () => setUserProperties(options.services, request.params.ref, request.body, 'api')),
  );
  app.post<UserRoute>('/api/v1/users/:ref/assignments', async (request, reply) =>
    userChange(reply, () => assignToUser(options.services, request.params.ref, request.body, 'api')),
  );
  app.delete<UserRoute>('/api/v1/users/:ref/assignments', async (request, reply) =>
    userChange(reply, () => unassignFromUser(options.services, request.params.ref, request.body, 'api')),
  );

  app.get<{ Querystring: { resource?: string; pending?: string } }>('/api/v1/shadows', async (request) =>
    findShadows(options.services.repo, { resource: request.query.resource, pending: request.query.pending === 'true' }),
  );

  app.get<{ Params: { oid: string } }>('/api/v1/shadows/:oid/account', async (request, reply) => {
    const got = await getAccount(options.services.syncDeps, request.params.oid);
    if (got.state === 'gone' && !got.shadow) return reply.code(404).send({ error: 'not found', message: `no shadow '${request.params.oid}'` });
    return got;
  });

  app.get('/api/v1/status', async () => stuckOperations(options.services.client));
  return app;
}
