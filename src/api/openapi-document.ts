/**
 * The API's OpenAPI document, generated from its route definitions and their zod schemas, with the error
 * answers every route can give (each with the one error body schema).
 */
import { z } from 'zod';
import { errorBodySchema } from '../schema/api';
import type { ApiRoute, PathParameter, RouteResponse } from './route-definitions';

type Schema = Record<string, unknown>;
type Operation = { responses: Record<string, { description: string; content?: unknown }>; security?: unknown[]; [key: string]: unknown };
type PathItem = Record<string, unknown> & { parameters?: Array<{ name: string }> };

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output'): Schema => z.toJSONSchema(schema, { io });

/** A parameter's schema, a part of the document: the document's dialect is its own. */
function withoutDialect({ $schema: _, ...schema }: Schema): Schema {
  return schema;
}

const json = (schema: z.ZodType, io: 'input' | 'output') => ({ 'application/json': { schema: jsonSchema(schema, io) } });

/** `/api/v1/users/:ref` is `/api/v1/users/{ref}`. */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

function pathParameter(name: string, parameter: PathParameter) {
  return {
    name,
    in: 'path',
    required: true,
    description: parameter.description,
    schema: parameter.schema ? withoutDialect(jsonSchema(parameter.schema, 'input')) : { type: 'string' },
    ...(parameter.example ? { example: parameter.example } : {}),
  };
}

function queryParameters(query: NonNullable<ApiRoute['query']>) {
  const schema = jsonSchema(query.schema, 'input') as Schema & { properties?: Record<string, Schema>; required?: string[] };
  const documented = query.documented;
  if ('name' in documented) return [{ name: documented.name, in: 'query', style: 'form', explode: true, description: documented.description, schema }];
  return Object.entries(schema.properties ?? {}).map(([name, field]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    description: documented.fields[name],
    schema: field,
  }));
}

function response({ description, schema }: RouteResponse) {
  return { description, ...(schema ? { content: json(schema, 'output') } : {}) };
}

function operation(route: ApiRoute): Operation {
  const parameters = [
    ...(route.query ? queryParameters(route.query) : []),
    ...Object.entries(route.headers ?? {}).map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
  ];
  return {
    summary: route.summary,
    ...(route.public ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: route.body.required ?? true, content: json(route.body.schema, 'input') } } : {}),
    responses: Object.fromEntries(Object.entries(route.responses).map(([status, answer]) => [status, response(answer)])),
  };
}

export function openApiDocumentOf(routes: readonly ApiRoute[]) {
  const paths: Record<string, PathItem> = {};
  for (const route of routes) {
    const item = (paths[openApiPath(route.url)] ??= {});
    item[route.method.toLowerCase()] = operation(route);
    // A path's parameters are the path item's, whichever of its routes declares them.
    for (const [name, parameter] of Object.entries(route.params ?? {})) {
      if (!item.parameters?.some((declared) => declared.name === name)) (item.parameters ??= []).push(pathParameter(name, parameter));
    }
  }
  return withErrorResponses({
    openapi: '3.1.0',
    info: { title: 'Tally', version: '0.1.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  });
}

const errorDescriptions: Record<string, string> = {
  '400': 'invalid request (a body that is not JSON or that the route does not accept, a path that is not valid URL encoding)',
  '414': 'a path parameter longer than 2,000 characters',
  '415': 'a body that is not application/json',
  '401': 'no or wrong token',
  '500': 'an unexpected error; the message says what',
};

const methods = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Every operation's error answers: 401 unless the route is public, 400 and 415 for anything but a GET (a
 * body that isn't JSON), 400 and 414 where the path has parameters (bad URL encoding, too long), 500
 * everywhere; each 4xx and 5xx answer carries the error body schema.
 */
function withErrorResponses<T extends { paths: Record<string, PathItem> }>(document: T): T {
  const errorContent = json(errorBodySchema, 'output');
  for (const [route, item] of Object.entries(document.paths)) {
    const hasPathParameters = route.includes('{');
    for (const method of methods) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      // Any request but a GET may carry a body, and one that isn't JSON is refused before the route runs.
      const add = [
        ...(isPublic ? [] : ['401']),
        ...(method !== 'get' || hasPathParameters ? ['400'] : []),
        ...(hasPathParameters ? ['414'] : []),
        ...(method !== 'get' ? ['415'] : []),
        '500',
      ];
      for (const status of add) operation.responses[status] ??= { description: errorDescriptions[status] };
      for (const [status, answer] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && !answer.content) answer.content = errorContent;
      }
    }
  }
  return document;
}
