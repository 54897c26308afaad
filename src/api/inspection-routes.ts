/** The HTTP API's read routes for operators: shadows, an account through its shadow, stuck operations. */
import { findShadows } from '../admin/inspect';
import { stuckOperations } from '../admin/stuck-operations';
import { getAccount } from '../provisioning';
import { apiRoute } from './route-definitions';

export const inspectionRoutes = [
  apiRoute({
    method: 'GET',
    url: '/api/v1/shadows',
    summary: 'Shadows, filtered by ?resource= and ?pending=true',
    responses: { '200': { description: 'shadows' } },
    handle: async ({ services }, { query }) => findShadows(services.repo, { resource: query.resource, pending: query.pending === 'true' }),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/shadows/:oid/account',
    summary: 'An account read through its shadow: pending operations finished first when the resource is up; the shadow as Tally knows it while it is down',
    params: { oid: { description: 'shadow oid' } },
    responses: { '200': { description: '{ state: fresh | pending | gone, resourceUp, account, shadow, message }' }, '404': { description: 'no such shadow' } },
    handle: async ({ services }, { params }, reply) => {
      const got = await getAccount(services.syncDeps, params.oid);
      if (got.state === 'gone' && !got.shadow) return reply.code(404).send({ error: 'not found', message: `no shadow '${params.oid}'` });
      return got;
    },
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/status',
    summary: 'Operations that are not moving (waiting for a resource, or failed), with their details',
    responses: { '200': { description: 'stuck operations' } },
    handle: async ({ services }) => stuckOperations(services.client, { repo: services.repo }),
  }),
];
