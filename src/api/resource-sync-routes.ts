/**
 * The HTTP API's routes that keep a resource in sync: change events from other services, live sync
 * control and status, reconciliation and import runs and their progress.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { changeEventListSchema, changeEventsSchema, changeNotificationSchema, runDecisionSchema, runRequestSchema, simulationKinds, simulationQuerySchema, type ChangeNotification } from '../schema/api';
import { decideRun, HeldRunNotFoundError, RunNotAwaitingApprovalError } from '../admin/run-decisions';
import { showSimulation, SimulationNotFoundError, startSimulatedRun } from '../admin/simulations';
import { acceptChangeEvents, BacklogFullError } from '../admin/change-events';
import { NoSuchAccountError, requireKnownAccountOfNotification } from '../admin/account-presence';
import { listRuns, runProgress, startResourceRun, UnknownResourceError } from '../admin/resource-runs';
import { RunAlreadyRunningError } from '../sync/reconciliation/runs';
import { liveSyncStatuses, NoChangelogError, signalLiveSync, startLiveSync } from '../admin/live-sync';
import { apiRoute, resourceRef, type ApiRoute } from './route-definitions';

const changesRoute = apiRoute<ChangeNotification | ChangeNotification[]>({
  method: 'POST',
  url: '/api/v1/changes',
  summary:
    'Report changes of resource objects: one event or an array of up to 1,000, stored durably in arrival order and applied by the resource\'s live sync (started if it is not running); an eventId sent again is applied once',
  body: {
    schema: changeEventsSchema,
    invalid: 'invalid change notification',
    // Parsed by its own shape, so a problem names the field (`3.changeType`), not the union.
    parse: (body) => (Array.isArray(body) ? changeEventListSchema.safeParse(body) : changeNotificationSchema.safeParse(body)),
  },
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
  handle: async ({ services }, { body }, reply) => {
    try {
      if (!Array.isArray(body)) await requireKnownAccountOfNotification(services, body);
      const accepted = await acceptChangeEvents(services, Array.isArray(body) ? body : [body], 'api');
      return reply.code(202).send(accepted);
    } catch (e) {
      if (e instanceof NoSuchAccountError || e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
      if (e instanceof BacklogFullError) return reply.code(429).header('retry-after', String(e.retryAfterSeconds)).send({ error: 'too many waiting', message: e.message });
      throw e;
    }
  },
});

const runStartResponses = {
  '202': { description: 'started or joined: { workflowId, joined, resourceOid, resourceName }; with simulate: true, a simulation started (its id is in the run\'s progress, and GET /api/v1/simulations/{workflowId} finds it)' },
  '400': { description: 'invalid body: { error, message, problems: [{ field, message }] }' },
  '401': { description: 'no or wrong token' },
  '404': { description: 'no such resource' },
  '409': { description: 'the other kind of run (import or reconciliation) is running on the resource' },
};

function runStartRoute(type: 'recon' | 'import', path: string, summary: string): ApiRoute {
  return apiRoute<z.output<typeof runRequestSchema>>({
    method: 'POST',
    url: `/api/v1/resources/:ref/${path}`,
    summary,
    params: { ref: resourceRef },
    body: {
      schema: runRequestSchema,
      required: false,
      invalid: 'invalid run request',
      // No body is the defaults; a JSON null is not a run request.
      parse: (body) => runRequestSchema.safeParse(body === undefined ? {} : body),
    },
    responses: runStartResponses,
    handle: async ({ services }, { params, body }, reply) => {
      try {
        const { simulate, keepFor, safety, ...request } = body;
        if (simulate) return reply.code(202).send(await startSimulatedRun(services, { type, resource: params.ref, ...request, ...(keepFor !== undefined ? { keepFor } : {}) }));
        return reply.code(202).send(await startResourceRun(services, { type, resource: params.ref, ...request, ...(safety ? { safety } : {}) }));
      } catch (e) {
        if (e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
        if (e instanceof RunAlreadyRunningError) return reply.code(409).send({ error: 'run already running', message: e.message, workflowId: e.running.workflowId });
        throw e;
      }
    },
  });
}

/** An unknown resource (`?resource=`) is 404. */
async function ofKnownResource<T>(reply: FastifyReply, work: () => Promise<T>) {
  try {
    return await work();
  } catch (e) {
    if (e instanceof UnknownResourceError) return reply.code(404).send({ error: 'not found', message: e.message });
    throw e;
  }
}

const simulationRoute = apiRoute<unknown, z.output<typeof simulationQuerySchema>>({
  method: 'GET',
  url: '/api/v1/simulations/:id',
  summary: "A simulation (a simulated run): its state, counts by kind and situation transitions, and a page of its per-object results",
  params: { id: { description: 'the simulation id, or the workflow id of its run' } },
  query: {
    schema: simulationQuerySchema,
    invalid: 'invalid query',
    documented: {
      fields: {
        only: `only the objects that would do this: ${simulationKinds.join(', ')}`,
        limit: 'objects per page, 1-1000 (default 100)',
        after: 'the `next` of the previous page',
      },
    },
  },
  responses: {
    '200': { description: '{ id, type, resource, workflowId, state, phase, startedAt, finishedAt, total, counts, expiresAt, items: [{ key, object, resource, situation: { from, to }, reaction, users, accounts, error, kinds }], next }' },
    '400': { description: 'invalid query: { error, message, problems: [{ field, message }] }' },
    '401': { description: 'no or wrong token' },
    '404': { description: 'no such simulation (or it expired)' },
  },
  handle: async ({ services }, { params, query }, reply) => {
    try {
      return await showSimulation(services, params.id, query);
    } catch (e) {
      if (e instanceof SimulationNotFoundError) return reply.code(404).send({ error: 'not found', message: e.message });
      throw e;
    }
  },
});

export const resourceSyncRoutes = [
  simulationRoute,
  changesRoute,
  runStartRoute('recon', 'reconciliation', 'Start a reconciliation of the resource (or join the one running); follow it with /api/v1/runs/{workflowId}/progress'),
  runStartRoute('import', 'import', 'Start an import from the resource (or join the one running)'),
  apiRoute({
    method: 'POST',
    url: '/api/v1/resources/:ref/livesync/:action',
    summary: "Start, pause, resume or stop the resource's live sync (the liveSync workflow)",
    params: { ref: resourceRef, action: { description: 'start, pause, resume or stop', schema: z.enum(['start', 'pause', 'resume', 'stop']) } },
    responses: {
      '200': { description: 'start: { workflowId, running, resourceOid, resourceName }; others: { workflowId, resourceName }' },
      '401': { description: 'no or wrong token' },
      '404': { description: 'no such resource, or no such action' },
      '409': { description: 'pause, resume or stop while no live sync runs for the resource; start on a resource without changelog (SCIM)' },
    },
    handle: async ({ services }, { params: { ref, action } }, reply) =>
      ofKnownResource(reply, async () => {
        if (action === 'start') {
          return await startLiveSync(services, ref).catch((e: unknown) => {
            if (e instanceof NoChangelogError) return reply.code(409).send({ error: 'no changelog', message: e.message });
            throw e;
          });
        }
        if (action !== 'pause' && action !== 'resume' && action !== 'stop') {
          return reply.code(404).send({ error: 'not found', message: `no live sync action '${action}' (start, pause, resume, stop)` });
        }
        const done = await signalLiveSync(services, ref, action, 'api');
        if (!done.workflowId) return reply.code(409).send({ error: 'not running', message: `no live sync runs for ${done.resourceName}` });
        return done;
      }),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/livesync',
    summary: "Each resource's live sync (?resource=<name or oid> for one): state, counts, last errors, position, and its changes being retried or held as failed",
    responses: {
      '200': { description: '[{ resource, resourceOid, workflowId, status, token, operatorDecision: { state: stopped|paused, at, channel } | null, heldChanges: { retrying, failed } }]' },
      '404': { description: 'no such resource' },
    },
    handle: async ({ services }, { query }, reply) => ofKnownResource(reply, () => liveSyncStatuses(services, query.resource)),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/runs',
    summary: 'Reconciliation and import runs, newest first (?resource=<name or oid>&limit=20)',
    responses: {
      '200': { description: 'runs: [{ oid, type, resourceName, state, phase, stats, errors, workflowId, startedAt, finishedAt }]' },
      '404': { description: 'no such resource' },
    },
    handle: async ({ services }, { query }, reply) =>
      ofKnownResource(reply, () => listRuns(services, { resource: query.resource, limit: Math.min(200, Math.max(1, Number(query.limit) || 20)) })),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/runs/:workflowId/progress',
    summary: "A running (or finished) run's progress, as its workflow reports it",
    params: { workflowId: { description: "the run's workflow id" } },
    responses: { '200': { description: '{ phase, seen, total, synchronized, unchanged, errors, stats, lastErrors, startedAt }' }, '404': { description: 'no such run workflow' } },
    handle: async ({ services }, { params }, reply) => {
      const progress = await runProgress(services, params.workflowId);
      if (!progress) return reply.code(404).send({ error: 'not found', message: `no run workflow '${params.workflowId}'` });
      return progress;
    },
  }),
  ...(['approve', 'reject'] as const).map((decision) =>
    apiRoute<z.output<typeof runDecisionSchema>>({
      method: 'POST',
      url: `/api/v1/runs/:workflowId/${decision}`,
      summary:
        decision === 'approve'
          ? 'Approve a run (or live sync) held at its thresholds (TallyState=awaiting-approval): it does the operations it held and goes on'
          : 'Reject a run (or live sync) held at its thresholds: it ends with none of the operations it held done (live sync stops where it was)',
      params: { workflowId: { description: "the run's (or live sync's) workflow id" } },
      body: { schema: runDecisionSchema, required: false, invalid: 'invalid decision', parse: (body) => runDecisionSchema.safeParse(body === undefined ? {} : body) },
      responses: {
        '200': { description: '{ workflowId, decision, message }' },
        '400': { description: 'invalid body: { error, message, problems: [{ field, message }] }' },
        '401': { description: 'no or wrong token' },
        '404': { description: 'no such run' },
        '409': { description: 'the run is not waiting for approval' },
      },
      handle: async ({ services }, { params, body }, reply) => {
        try {
          return await decideRun(services, params.workflowId, decision, body);
        } catch (e) {
          if (e instanceof HeldRunNotFoundError) return reply.code(404).send({ error: 'not found', message: e.message });
          if (e instanceof RunNotAwaitingApprovalError) return reply.code(409).send({ error: 'not awaiting approval', message: e.message });
          throw e;
        }
      },
    }),
  ),
];
