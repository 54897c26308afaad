/**
 * Tally's HTTP API put together: the routes of `api-routes.ts` (each declared once, which also gives the
 * OpenAPI document), the bearer-token check, the error answers and the codec endpoint's CORS handling.
 */
import { sameToken } from '../security/same-token';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Services } from '../runtime/services';
import { createPayloadCodec } from '../security/payload-codec';
import { apiRoutes } from './api-routes';
import { codecBypassesToken, codecSettings, registerCodecCors, type CodecEndpointOptions } from './codec-endpoint';
import { answerFrameworkError, MAX_PATH_PARAMETER_LENGTH, registerErrorAnswers } from './error-answers';
import { registerRoutes } from './route-definitions';
import { registerScim, SCIM_PREFIX } from './scim/scim-routes';

export interface ApiOptions {
  services: Services;
  /** Required bearer token; requests without it get 401. */
  token: string;
  /** The codec endpoint's UI origins and whether it needs the token; by default from TALLY_CODEC_ORIGINS and TALLY_DEV. */
  codec?: CodecEndpointOptions;
}

/** The token check compares the request's URL: a public route has no path parameters. */
const publicUrls = new Set(apiRoutes.filter((route) => route.public).map((route) => route.url));

const registered = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

/** The routes an API built by buildApi serves (method and fastify path, e.g. `/api/v1/users/:ref`). */
export function registeredRoutes(app: FastifyInstance): Array<{ method: string; url: string }> {
  return [...(registered.get(app) ?? [])];
}

export function buildApi(options: ApiOptions): FastifyInstance {
  // A `__proto__` or `constructor.prototype` key in a JSON body is dropped, not refused: the body is still valid JSON.
  const app = Fastify({
    logger: false,
    frameworkErrors: answerFrameworkError,
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
  });
  const routes: Array<{ method: string; url: string }> = [];
  registered.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: route.url });
  });
  const codec = options.codec ?? codecSettings(process.env);
  registerCodecCors(app, codec);
  registerErrorAnswers(app, routes);
  app.addHook('onRequest', async (request, reply) => {
    if (publicUrls.has(request.url) || codecBypassesToken(request, codec)) return;
    // The SCIM service provider checks the token of the resource a service pushes to.
    if (request.url === SCIM_PREFIX || request.url.startsWith(`${SCIM_PREFIX}/`)) return;
    const header = request.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameToken(token, options.token)) {
      await reply.code(401).send({ error: 'unauthorized', message: 'send Authorization: Bearer <TALLY_API_TOKEN>' });
    }
  });
  const context = { services: options.services, codec: createPayloadCodec(options.services.key) };
  registerRoutes(app, apiRoutes, context);
  registerScim(app, context);
  return app;
}
