/**
 * Tally's HTTP API: change notifications from other services and read endpoints for operators, with
 * bearer-token authentication and an OpenAPI document generated from the zod schemas.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { changeNotificationSchema } from '../schema/api';
import { reportChangeNotification } from '../admin/report-change';
import { findShadows, presentUser } from '../admin/inspect';
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
      '/api/v1/users/{ref}': { get: { summary: 'A user by oid or name', responses: { '200': { description: 'the user' }, '404': { description: 'no such user' } } } },
      '/api/v1/shadows': { get: { summary: 'Shadows, filtered by ?resource= and ?pending=true', responses: { '200': { description: 'shadows' } } } },
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
        problems: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
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

  app.get<{ Querystring: { resource?: string; pending?: string } }>('/api/v1/shadows', async (request) =>
    findShadows(options.services.repo, { resource: request.query.resource, pending: request.query.pending === 'true' }),
  );
  return app;
}
