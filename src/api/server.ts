/**
 * Tally's HTTP API: change notifications from other services and read endpoints for operators, with
 * bearer-token authentication and an OpenAPI document generated from the zod schemas.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { assignmentRequestSchema, changeEventListSchema, changeEventsSchema, changeNotificationSchema, issueList, problemsSentence, runRequestSchema, userPropertyChangesSchema } from '../schema/api';
import { acceptChangeEvents, BacklogFullError } from '../admin/change-events';
import { NoSuchAccountError, requireKnownAccountOfNotification } from '../admin/account-presence';
import { listRuns, runProgress, startResourceRun, UnknownResourceError } from '../admin/resource-runs';
import { RunAlreadyRunningError } from '../sync/reconciliation/runs';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../admin/live-sync';
import { findShadows, presentUser } from '../admin/inspect';
import { stuckOperations } from '../admin/stuck-operations';
import { getAccount } from '../provisioning';
import { assignToUser, setUserProperties, unassignFromUser, UserCommandError, type UserCommandResult } from '../admin/user-commands';
import type { Services } from '../runtime/services';
import { createPayloadCodec } from '../security/payload-codec';
import { codecBypassesToken, codecOpenApiPaths, codecSettings, registerCodecEndpoint, type CodecEndpointOptions } from './codec-endpoint';
import { answerFrameworkError, MAX_PATH_PARAMETER_LENGTH, registerErrorAnswers } from './error-answers';
import { registerLifecycleRoutes } from './lifecycle-routes';
import { lifecyclePaths, resourceRef, userRef, withErrorResponses, withPaths } from './openapi-lifecycle';

export interface ApiOptions {
  services: Services;
  /** Required bearer token; requests without it get 401. */
  token: string;
  /** The codec endpoint's UI origins and whether it needs the token; by default from TALLY_CODEC_ORIGINS and TALLY_DEV. */
  codec?: Pick<CodecEndpointOptions, 'allowedOrigins' | 'tokenRequired'>;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const jsonBody = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input' }) } } });
const userChangeResponses = {
  '200': { description: 'stored: { user, changedPaths, provisioningWorkflowId? } (no workflow when nothing changed)' },
  '400': { description: 'invalid body, unknown property, or an object type the resource does not have: { error, message, problems: [{ field, message }] }' },
  '401': { description: 'no or wrong token' },
  '404': { description: 'no such user, or an unknown role, resource or object template the body names (on DELETE also: no such assignment)' },
};

const runStartResponses = {
  '202': { description: 'started or joined: { workflowId, joined, resourceOid, resourceName }' },
  '400': { description: 'invalid body: { error, message, problems: [{ field, message }] }' },
  '401': { description: 'no or wrong token' },
  '404': { description: 'no such resource' },
  '409': { description: 'the other kind of run (import or reconciliation) is running on the resource' },
};

export function openApiDocument() {
  return withErrorResponses(withPaths(lifecyclePaths, baseOpenApiDocument()));
}

function baseOpenApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'Tally', version: '0.1.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/changes': {
        post: {
          summary:
            'Report changes of resource objects: one event or an array of up to 1,000, stored durably in arrival order and applied by the resource\'s live sync (started if it is not running); an eventId sent again is applied once',
          requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(changeEventsSchema, { io: 'input' }) } } },
          responses: {
            '202': { description: 'stored: { accepted, duplicates, resources }' },
            '400': { description: 'invalid body: { error, message, problems: [{ field, message }] }' },
            '401': { description: 'no or wrong token' },
            '404': {
              description:
                'an unknown resource, or one event (not an array) of an account neither Tally nor the resource knows: { error, message: "no account X on resource Y" }; nothing of the request was stored',
            },
            '429': { description: 'the resource has too many events waiting: send again after Retry-After seconds' },
          },
        },
      },
      '/api/v1/users/{ref}': {
        parameters: [userRef],
        get: { summary: 'A user by oid or name', responses: { '200': { description: 'the user' }, '404': { description: 'no such user' } } },
        patch: {
          summary: 'Set user properties (null or "" clears one) and recompute the accounts',
          requestBody: jsonBody(userPropertyChangesSchema),
          responses: userChangeResponses,
        },
      },
      '/api/v1/users/{ref}/assignments': {
        parameters: [userRef],
        post: { summary: 'Assign a role or a resource account and provision it', requestBody: jsonBody(assignmentRequestSchema), responses: userChangeResponses },
        delete: {
          summary: 'Remove an assignment (given in the body); accounts no other assignment needs are deleted',
          requestBody: jsonBody(assignmentRequestSchema),
          responses: userChangeResponses,
        },
      },
      '/api/v1/shadows': { get: { summary: 'Shadows, filtered by ?resource= and ?pending=true', responses: { '200': { description: 'shadows' } } } },
      '/api/v1/shadows/{oid}/account': {
        parameters: [{ name: 'oid', in: 'path', required: true, description: 'shadow oid', schema: { type: 'string' } }],
        get: {
          summary: 'An account read through its shadow: pending operations finished first when the resource is up; the shadow as Tally knows it while it is down',
          responses: { '200': { description: '{ state: fresh | pending | gone, resourceUp, account, shadow, message }' }, '404': { description: 'no such shadow' } },
        },
      },
      '/api/v1/resources/{ref}/reconciliation': {
        parameters: [resourceRef],
        post: {
          summary: 'Start a reconciliation of the resource (or join the one running); follow it with /api/v1/runs/{workflowId}/progress',
          requestBody: { required: false, content: { 'application/json': { schema: z.toJSONSchema(runRequestSchema, { io: 'input' }) } } },
          responses: runStartResponses,
        },
      },
      '/api/v1/resources/{ref}/import': {
        parameters: [resourceRef],
        post: {
          summary: 'Start an import from the resource (or join the one running)',
          requestBody: { required: false, content: { 'application/json': { schema: z.toJSONSchema(runRequestSchema, { io: 'input' }) } } },
          responses: runStartResponses,
        },
      },
      '/api/v1/resources/{ref}/livesync/{action}': {
        parameters: [
          resourceRef,
          { name: 'action', in: 'path', required: true, description: 'start, pause, resume or stop', schema: { type: 'string', enum: ['start', 'pause', 'resume', 'stop'] } },
        ],
        post: {
          summary: "Start, pause, resume or stop the resource's live sync (the liveSync workflow)",
          responses: {
            '200': { description: 'start: { workflowId, running, resourceOid, resourceName }; others: { workflowId, resourceName }' },
            '401': { description: 'no or wrong token' },
            '404': { description: 'no such resource, or no such action' },
            '409': { description: 'pause, resume or stop while no live sync runs for the resource' },
          },
        },
      },
      '/api/v1/livesync': {
        get: {
          summary: "Each resource's live sync (?resource=<name or oid> for one): state, counts, last errors, position",
          responses: { '200': { description: '[{ resource, resourceOid, workflowId, status, token, operatorDecision: { state: stopped|paused, at, channel } | null }]' }, '404': { description: 'no such resource' } },
        },
      },
      '/api/v1/runs': {
        get: {
          summary: 'Reconciliation and import runs, newest first (?resource=<name or oid>&limit=20)',
          responses: { '200': { description: 'runs: [{ oid, type, resourceName, state, phase, stats, errors, workflowId, startedAt, finishedAt }]' }, '404': { description: 'no such resource' } },
        },
      },
      '/api/v1/runs/{workflowId}/progress': {
        parameters: [{ name: 'workflowId', in: 'path', required: true, description: 'the run\'s workflow id', schema: { type: 'string' } }],
        get: {
          summary: 'A running (or finished) run\'s progress, as its workflow reports it',
          responses: { '200': { description: '{ phase, seen, total, synchronized, unchanged, errors, stats, lastErrors, startedAt }' }, '404': { description: 'no such run workflow' } },
        },
      },
      ...codecOpenApiPaths,
      '/api/v1/status': { get: { summary: 'Operations that are not moving (waiting for a resource, or failed), with their details', responses: { '200': { description: 'stuck operations' } } } },
    },
  };
}

const registered = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

/** The routes an API built by buildApi serves (method and fastify path, e.g. `/api/v1/users/:ref`). */
export function registeredRoutes(app: FastifyInstance): Array<{ method: string; url: string }> {
  return [...(registered.get(app) ?? [])];
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({ logger: false, frameworkErrors: answerFrameworkError, routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH } });
  const routes: Array<{ method: string; url: string }> = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: route.url });
  });
  const codec = options.codec ?? codecSettings(process.env);
  registerCodecEndpoint(app, { ...codec, codec: createPayloadCodec(options.services.key) });
  registerErrorAnswers(app, routes);
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/api/v1/health' || request.url === '/api/v1/openapi.json' || codecBypassesToken(request, codec)) return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameToken(token, options.token)) {
      await reply.code(401).send({ error: 'unauthorized', message: 'send Authorization: Bearer <TALLY_API_TOKEN>' });
    }
  });
  app.get('/api/v1/health', async () => ({ status: 'ok' }));
  app.get('/api/v1/openapi.json', async () => openApiDocument());

  app.post('/api/v1/changes', async (request, reply) => {
    // Parsed by its own shape, so a problem names the field (`3.changeType`), not the union.
    const parsed = Array.isArray(request.body) ? changeEventListSchema.safeParse(request.body) : changeNotificationSchema.safeParse(request.body);
    if (!parsed.success) {
      const problems = issueList(parsed.error);
      return reply.code(400).send({ error: 'invalid change notification', message: problemsSentence(problems), problems });
    }
    try {
      if (!Array.isArray(parsed.data)) await requireKnownAccountOfNotification(options.services, parsed.data);
      const accepted = await acceptChangeEvents(options.services, Array.isArray(parsed.data) ? parsed.data : [parsed.data], 'api');
      return reply.code(202).send(accepted);
    } catch (e) {
      if (e instanceof NoSuchAccountError || e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
      if (e instanceof BacklogFullError) return reply.code(429).header('retry-after', String(e.retryAfterSeconds)).send({ error: 'too many waiting', message: e.message });
      throw e;
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

  for (const [type, path] of [
    ['recon', 'reconciliation'],
    ['import', 'import'],
  ] as const) {
    app.post<{ Params: { ref: string }; Body: unknown }>(`/api/v1/resources/:ref/${path}`, async (request, reply) => {
      // No body is the defaults; a JSON null is not a run request.
      const parsed = runRequestSchema.safeParse(request.body === undefined ? {} : request.body);
      if (!parsed.success) {
        const problems = issueList(parsed.error);
        return reply.code(400).send({ error: 'invalid run request', message: problemsSentence(problems), problems });
      }
      try {
        return reply.code(202).send(await startResourceRun(options.services, { type, resource: request.params.ref, ...parsed.data }));
      } catch (e) {
        if (e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
        if (e instanceof RunAlreadyRunningError) return reply.code(409).send({ error: 'run already running', message: e.message, workflowId: e.running.workflowId });
        throw e;
      }
    });
  }
  app.post<{ Params: { ref: string; action: string } }>('/api/v1/resources/:ref/livesync/:action', async (request, reply) => {
    const { ref, action } = request.params;
    try {
      if (action === 'start') return await startLiveSync(options.services, ref);
      if (action !== 'pause' && action !== 'resume' && action !== 'stop') {
        return reply.code(404).send({ error: 'not found', message: `no live sync action '${action}' (start, pause, resume, stop)` });
      }
      const done = await signalLiveSync(options.services, ref, action, 'api');
      if (!done.workflowId) return reply.code(409).send({ error: 'not running', message: `no live sync runs for ${done.resourceName}` });
      return done;
    } catch (e) {
      if (e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
      throw e;
    }
  });
  app.get<{ Querystring: { resource?: string } }>('/api/v1/livesync', async (request, reply) => {
    try {
      return await liveSyncStatuses(options.services, request.query.resource);
    } catch (e) {
      if (e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
      throw e;
    }
  });
  app.get<{ Querystring: { resource?: string; limit?: string } }>('/api/v1/runs', async (request, reply) => {
    try {
      return await listRuns(options.services, { resource: request.query.resource, limit: Math.min(200, Math.max(1, Number(request.query.limit) || 20)) });
    } catch (e) {
      if (e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
      throw e;
    }
  });
  app.get<{ Params: { workflowId: string } }>('/api/v1/runs/:workflowId/progress', async (request, reply) => {
    const progress = await runProgress(options.services, request.params.workflowId);
    if (!progress) return reply.code(404).send({ error: 'not found', message: `no run workflow '${request.params.workflowId}'` });
    return progress;
  });

  app.get('/api/v1/status', async () => stuckOperations(options.services.client, { repo: options.services.repo }));
  registerLifecycleRoutes(app, options.services);
  return app;
}
