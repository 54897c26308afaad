/** Every route of the HTTP API, and the OpenAPI document of exactly these. */
import { z } from 'zod';
import { codecRoutes } from './codec-endpoint';
import { inspectionRoutes } from './inspection-routes';
import { lifecycleRoutes } from './lifecycle-routes';
import { openApiDocumentOf } from './openapi-document';
import { resourceSyncRoutes } from './resource-sync-routes';
import { apiRoute, type ApiRoute } from './route-definitions';
import { scimRoutes } from './scim/scim-routes';
import { userRoutes } from './user-routes';
import { metricsRegistry } from '../observability/metrics';

const serviceRoutes = [
  apiRoute({
    method: 'GET',
    url: '/api/v1/health',
    summary: 'Whether the API answers (no token needed)',
    public: true,
    responses: { '200': { description: '{ status: "ok" }', schema: z.object({ status: z.literal('ok') }) } },
    handle: async () => ({ status: 'ok' }),
  }),
  apiRoute({
    method: 'GET',
    url: '/api/v1/openapi.json',
    summary: 'This document (no token needed)',
    public: true,
    responses: { '200': { description: 'the OpenAPI document' } },
    handle: async () => openApiDocument(),
  }),
  apiRoute({
    method: 'GET',
    url: '/metrics',
    summary: "Tally's metrics in Prometheus's text format (no token needed; docs/observability.md lists them)",
    public: true,
    responses: { '200': { description: 'the metrics, text/plain; version=0.0.4' } },
    handle: async (_context, _input, reply) => {
      reply.type(metricsRegistry.contentType);
      return metricsRegistry.metrics();
    },
  }),
];

export const apiRoutes: readonly ApiRoute[] = [...serviceRoutes, ...resourceSyncRoutes, ...userRoutes, ...inspectionRoutes, ...lifecycleRoutes, ...codecRoutes];

export function openApiDocument() {
  return openApiDocumentOf([...apiRoutes, ...scimRoutes]);
}
