/**
 * A route is declared once (route-definitions.ts): the server serves exactly the routes the OpenAPI
 * document gives, no more and no fewer, and checks the inputs a definition validates with its schemas.
 */
import Fastify from 'fastify';
import { z } from 'zod';
import { buildApi, registeredRoutes } from '../../../src/api/server';
import { apiRoutes, openApiDocument } from '../../../src/api/api-routes';
import { scimRoutes } from '../../../src/api/scim/scim-routes';
import { openApiPath } from '../../../src/api/openapi-document';
import { apiRoute, registerRoutes, type RouteContext } from '../../../src/api/route-definitions';
import type { Services } from '../../../src/runtime/services';
import { SecretKey } from '../../../src/security/secret-key';
import { listenLocally } from '../../support/listen';

const operations = ['get', 'post', 'put', 'patch', 'delete'];
/** Registering routes touches no service but the key (the codec endpoint's): requests would, and none is sent here. */
const app = buildApi({ services: { key: new SecretKey(Buffer.alloc(32, 7)) } as Services, token: 'unused' });

afterAll(async () => {
  await app.close();
});

beforeAll(async () => {
  // The SCIM routes are registered in their own scope, when the server is ready.
  await app.ready();
});

test('every route the server registers is in the OpenAPI document, and every operation of the document is served', () => {
  const served = registeredRoutes(app).map((route) => `${route.method.toLowerCase()} ${openApiPath(route.url)}`);
  const documented = Object.entries(openApiDocument().paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => operations.includes(key))
      .map((method) => `${method} ${path}`),
  );
  expect(served.sort()).toEqual(documented.sort());
  expect(new Set(served).size).toBe(served.length);
});

test('the server registers every declared route and nothing else', () => {
  const declared = [...apiRoutes, ...scimRoutes].map((route) => `${route.method} ${route.url}`);
  expect(registeredRoutes(app).map((route) => `${route.method} ${route.url}`).sort()).toEqual(declared.sort());
});

describe('registerRoutes', () => {
  const seen: unknown[] = [];
  const probe = Fastify();
  registerRoutes(
    probe,
    [
      apiRoute<{ size: number }, { limit?: number }>({
        method: 'POST',
        url: '/probe/:id',
        summary: 'probe',
        params: { id: { description: 'any' } },
        query: { schema: z.strictObject({ limit: z.coerce.number().int().max(5).optional() }), invalid: 'invalid query', documented: { fields: { limit: 'at most 5' } } },
        body: { schema: z.strictObject({ size: z.number() }), invalid: 'invalid probe' },
        responses: { '200': { description: 'what the handler got' } },
        handle: async (_context, input) => {
          seen.push(input);
          return { ok: true };
        },
      }),
      apiRoute({
        method: 'PATCH',
        url: '/as-sent',
        summary: 'a body its handler checks',
        body: { schema: z.strictObject({ size: z.number() }) },
        responses: { '200': { description: 'what the handler got' } },
        handle: async (_context, input) => input.body,
      }),
    ],
    {} as RouteContext,
  );

  let base: string;

  beforeAll(async () => {
    base = await listenLocally(probe);
  });

  afterAll(async () => {
    await probe.close();
  });

  async function send(method: string, url: string, body: unknown) {
    const response = await fetch(`${base}${url}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as unknown };
  }

  test('gives the handler the parsed query and body with the path parameters', async () => {
    const answer = await send('POST', '/probe/p1?limit=3', { size: 2 });
    expect({ status: answer.status, seen }).toEqual({ status: 200, seen: [{ params: { id: 'p1' }, query: { limit: 3 }, body: { size: 2 } }] });
  });

  test.each([
    ['a query the schema refuses', '/probe/p1?limit=9', { size: 2 }, 'invalid query', 'limit'],
    ['an unknown query parameter', '/probe/p1?other=1', { size: 2 }, 'invalid query', '(body)'],
    ['a body the schema refuses', '/probe/p1', { size: 'big' }, 'invalid probe', 'size'],
  ])('answers %s with 400 { error, message, problems } and never runs the handler', async (_what, url, payload, error, field) => {
    seen.length = 0;
    const answer = await send('POST', url, payload);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error, message: expect.any(String), problems: [expect.objectContaining({ field })] });
    expect(seen).toEqual([]);
  });

  test('gives a body without `invalid` to the handler as sent', async () => {
    const answer = await send('PATCH', '/as-sent', { size: 'big', more: 1 });
    expect(answer).toEqual({ status: 200, body: { size: 'big', more: 1 } });
  });
});
