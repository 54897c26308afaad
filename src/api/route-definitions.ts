/**
 * The one way to declare a route of the HTTP API: method, path, summary, the zod schemas of what it
 * takes and answers, and its handler. `registerRoutes` serves the definitions (checking the inputs they
 * validate) and `openapi-document.ts` documents the same definitions, so neither can go without the other.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { z } from 'zod';
import { issueList, problemsSentence } from '../schema/api';
import type { Services } from '../runtime/services';
import { inSpan } from '../observability/tracing';

/** What every handler may use. */
export interface RouteContext {
  services: Services;
  /** The payload codec the worker and client use (the codec endpoint's). */
  codec: PayloadCodec;
}

export interface PathParameter {
  description: string;
  /** Documented only: a value the handler doesn't know is its 404 (as an unknown path would be). Default: any string. */
  schema?: z.ZodType;
  example?: string;
}

export interface QueryInput<T> {
  /** Checked before the handler runs; the handler gets what it parsed to. */
  schema: z.ZodType<T>;
  /** The `error` of the 400 answer when the query doesn't fit the schema. */
  invalid: string;
  /**
   * One description per field, each documented as a parameter of its own; or, for a query with rules
   * across its fields, one description of the whole, documented as one form-exploded object parameter
   * named `name` so the rules are in the document.
   */
  documented: { fields: Record<string, string> } | { name: string; description: string };
}

export interface BodyInput<T> {
  /** The body's documented schema (its input side). */
  schema: z.ZodType;
  /** Default true. */
  required?: boolean;
  /**
   * The `error` of the 400 answer when the body fails `parse` (default: the schema's). Without it the
   * handler gets the body as sent: the admin command it calls checks it, for the CLI as for the API.
   */
  invalid?: string;
  parse?: (body: unknown) => z.ZodSafeParseResult<T>;
}

export interface RouteResponse {
  description: string;
  /** The answer's body, when the document gives it (a 4xx/5xx answer without one has the error body). */
  schema?: z.ZodType;
}

export interface RouteInput<B, Q> {
  params: Record<string, string>;
  query: Q;
  body: B;
}

export interface ApiRoute<B = unknown, Q = Record<string, string | undefined>> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify's path, e.g. `/api/v1/users/:ref`. */
  url: string;
  summary: string;
  /** No token needed (only for paths without parameters: the token check compares the request's path). */
  public?: boolean;
  params?: Record<string, PathParameter>;
  query?: QueryInput<Q>;
  body?: BodyInput<B>;
  /** Optional request headers the route reads. */
  headers?: Record<string, string>;
  responses: Record<string, RouteResponse>;
  bodyLimit?: number;
  handle: (context: RouteContext, input: RouteInput<B, Q>, reply: FastifyReply) => Promise<unknown>;
}

/** A route with its input types checked against its handler, for a list of routes of different inputs. */
export function apiRoute<B = unknown, Q = Record<string, string | undefined>>(route: ApiRoute<B, Q>): ApiRoute {
  return route as unknown as ApiRoute;
}

/** The examples are the seeds' (examples/): jack and the SQL resource. */
export const userRef: PathParameter = { description: 'user oid or name', example: 'jack' };
export const resourceRef: PathParameter = { description: 'resource oid or name', example: 'MyLittleAD' };

/** The 400 answer to a body or query that doesn't fit its schema: `{ error, message, problems: [{ field, message }] }`. */
function answerInvalid(reply: FastifyReply, error: string, parsed: z.ZodSafeParseError<unknown>) {
  const problems = issueList(parsed.error);
  return reply.code(400).send({ error, message: problemsSentence(problems), problems });
}

export function registerRoutes(app: FastifyInstance, routes: readonly ApiRoute[], context: RouteContext): void {
  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
      handler: async (request, reply) => {
        let query: unknown = request.query;
        if (route.query) {
          const parsed = route.query.schema.safeParse(request.query ?? {});
          if (!parsed.success) return answerInvalid(reply, route.query.invalid, parsed);
          query = parsed.data;
        }
        let body: unknown = request.body;
        if (route.body?.invalid) {
          const parsed = route.body.parse ? route.body.parse(request.body) : route.body.schema.safeParse(request.body);
          if (!parsed.success) return answerInvalid(reply, route.body.invalid, parsed);
          body = parsed.data;
        }
        const input = { params: request.params as Record<string, string>, query: query as Record<string, string | undefined>, body };
        return inSpan(`${route.method} ${route.url}`, { 'http.method': route.method, 'http.route': route.url }, () => route.handle(context, input, reply));
      },
    });
  }
}
