/**
 * Every error answer of the API in its one documented shape, `{ error, message, problems? }`: fastify's
 * own (a body that is not JSON, a content type it does not parse), an unknown path and an unexpected
 * error; and 405 with `Allow` for a method a served path does not have.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserCommandError } from '../admin/user-commands';

export interface ServedRoute {
  method: string;
  /** Fastify's path, e.g. `/api/v1/users/:ref`. */
  url: string;
}

const patterns = new Map<string, RegExp>();

function routePattern(url: string): RegExp {
  let pattern = patterns.get(url);
  if (!pattern) {
    const segments = url.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    pattern = new RegExp(`^${segments.join('/')}$`);
    patterns.set(url, pattern);
  }
  return pattern;
}

/** The methods served at a path (HEAD with GET, as fastify answers it), in a stable order; none for an unknown path. */
export function allowedMethods(routes: readonly ServedRoute[], path: string): string[] {
  const methods = new Set(routes.filter((route) => routePattern(route.url).test(path)).map((route) => route.method));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** The short kind of an error answer: the status's reason phrase, as `not found`, `method not allowed`. */
export function errorKind(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase();
}

/** A user command's refusal: 404 for what it does not find, else 400, with the fields at fault. */
export function answerUserCommandError(reply: FastifyReply, e: UserCommandError): FastifyReply {
  return reply.code(e.kind === 'not-found' ? 404 : 400).send({ error: e.kind === 'not-found' ? 'not found' : 'invalid request', message: e.message, problems: e.problems });
}

/** A path parameter may be this long (fastify's default, 100, is shorter than an operation's workflow id can be). */
export const MAX_PATH_PARAMETER_LENGTH = 2000;

/** Fastify's `frameworkErrors`: a path that is not valid URL encoding (400), a path parameter that is too long (414). */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  void reply.code(status).send({ error: errorKind(status), message: error.message });
}

/**
 * Registers the answers. `routes` is the live list of served routes (it may still grow). Call it before
 * the token check is added: a method a path does not have is wrong whoever asks.
 */
export function registerErrorAnswers(app: FastifyInstance, routes: readonly ServedRoute[]): void {
  // Before the body is parsed: a QUERY without a content type, say, is the wrong method first.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const allowed = allowedMethods(routes, request.url.split('?')[0]);
    if (allowed.length === 0) return;
    await reply
      .code(405)
      .header('allow', allowed.join(', '))
      .send({ error: errorKind(405), message: `${request.method} is not a method of ${request.url.split('?')[0]}; it allows ${allowed.join(', ')}` });
  });
  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({ error: errorKind(404), message: `no ${request.method} ${request.url.split('?')[0]} in this API (see /api/v1/openapi.json)` }),
  );
  app.setErrorHandler(async (error: FastifyError, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    return reply.code(status).send({ error: errorKind(status), message: error.message });
  });
}
