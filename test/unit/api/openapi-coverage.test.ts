/**
 * The OpenAPI document covers the API: every route the server registers is documented, with its path
 * parameters, the error answers every route can give (401 unless public, 400 for any method but GET,
 * 500) and the error body schema on each 4xx/5xx answer.
 */
import { buildApi, registeredRoutes } from '../../../src/api/server';
import { openApiDocument } from '../../../src/api/api-routes';
import type { Services } from '../../../src/runtime/services';
import { SecretKey } from '../../../src/security/secret-key';

type Operation = { responses: Record<string, { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }>; requestBody?: unknown; security?: unknown[] };

const document = openApiDocument() as unknown as { paths: Record<string, Record<string, Operation | unknown>> };
/** Registering routes touches no service but the key (the codec endpoint's): requests would, and none is sent here. */
const app = buildApi({ services: { key: new SecretKey(Buffer.alloc(32, 7)) } as Services, token: 'unused' });
/** The API's own routes (the SCIM service provider's, with SCIM's error bodies, are registered when the server is ready). */
const routes = registeredRoutes(app);
const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

afterAll(async () => {
  await app.close();
});

test('the server registers the listing and lifecycle routes', () => {
  const keys = routes.map((r) => `${r.method} ${r.url}`);
  for (const expected of [
    'GET /api/v1/health',
    'GET /api/v1/users',
    'POST /api/v1/users',
    'DELETE /api/v1/users/:ref',
    'GET /api/v1/resources',
    'GET /api/v1/resources/:ref',
    'POST /api/v1/resources/:ref/test',
    'GET /api/v1/roles',
    'GET /api/v1/templates',
    'POST /api/v1/operations/:id/:action',
  ]) {
    expect(keys).toContain(expected);
  }
});

test.each(routes.map((r) => [r.method, r.url] as const))('%s %s is documented with its error answers', (method, url) => {
  const item = document.paths[openApiPath(url)];
  expect(item).toBeDefined();
  const operation = item[method.toLowerCase()] as Operation;
  expect(operation).toBeDefined();
  const statuses = Object.keys(operation.responses);
  expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
  expect(statuses).toContain('500');
  const isPublic = url === '/api/v1/health' || url === '/api/v1/openapi.json' || url === '/metrics';
  if (isPublic) expect(operation.security).toEqual([]);
  else expect(statuses).toContain('401');
  if (operation.requestBody || method !== 'GET') expect(statuses).toContain('400');
  for (const status of statuses.filter((s) => Number(s) >= 400)) {
    const schema = operation.responses[status].content?.['application/json']?.schema;
    expect(schema?.properties).toHaveProperty('error');
  }
  // Every path parameter of the route is declared.
  const declared = [...((item.parameters as Array<{ name: string }>) ?? []), ...(((operation as { parameters?: Array<{ name: string }> }).parameters) ?? [])].map((p) => p.name);
  for (const [, name] of url.matchAll(/:([A-Za-z]+)/g)) expect(declared).toContain(name);
});

test('the document has no path the server does not serve', async () => {
  await app.ready();
  const served = new Set(registeredRoutes(app).map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
  for (const [route, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item).filter((k) => ['get', 'post', 'put', 'patch', 'delete'].includes(k))) {
      expect(served).toContain(`${method} ${route}`);
    }
  }
});

test('the document states the rules across fields the server checks', () => {
  type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };
  const body = (route: string, method: string) =>
    (document.paths[route][method] as { requestBody: { content: Record<string, { schema: Schema }> } }).requestBody.content['application/json'].schema;
  expect(body('/api/v1/users/{ref}/assignments', 'post').oneOf).toEqual([
    { required: ['role'], properties: { resource: false, kind: false, intent: false } },
    { required: ['resource'], properties: { role: false } },
  ]);
  const [oneEvent, events] = body('/api/v1/changes', 'post').anyOf!;
  for (const event of [oneEvent, events.items!]) expect(event.anyOf).toEqual([{ required: ['account'] }, { required: ['primaryIdentifier'] }]);
  const patch = body('/api/v1/users/{ref}', 'patch');
  expect(patch).toMatchObject({ minProperties: 1, not: { required: ['extension'], maxProperties: 1 } });
  expect(patch.properties!.activation).toMatchObject({ minProperties: 1 });
  // A new user may have no properties at all.
  expect(body('/api/v1/users', 'post').properties!.properties).not.toHaveProperty('minProperties');
  const deletion = (document.paths['/api/v1/users/{ref}'].delete as { parameters: Array<{ in: string; schema: Schema }> }).parameters[0];
  expect(deletion).toMatchObject({ in: 'query', style: 'form', explode: true });
  expect(deletion.schema.dependentSchemas).toEqual({ timeout: { required: ['wait'], properties: { wait: { const: 'true' } } } });
});
