/**
 * Every error answer has the documented shape `{ error, message, problems? }`, fastify's own too (a body
 * that is not JSON, a content type it doesn't parse, a bad or too long path parameter, an unknown path),
 * and a method a path does not have is 405 with `Allow`. None of these requests reaches a service.
 */
import { buildApi } from '../../../src/api/server';
import { allowedMethods } from '../../../src/api/error-answers';
import type { Services } from '../../../src/runtime/services';
import { SecretKey } from '../../../src/security/secret-key';
import { errorBodySchema } from '../../../src/schema/api';
import { listenLocally } from '../../support/listen';

const TOKEN = 'error-answers-token';
const app = buildApi({ services: { key: new SecretKey(Buffer.alloc(32, 7)) } as Services, token: TOKEN, codec: { allowedOrigins: [], tokenRequired: true } });
let base: string;

beforeAll(async () => {
  base = await listenLocally(app);
});

afterAll(async () => {
  await app.close();
});

async function send(method: string, url: string, options: { body?: string; contentType?: string; token?: string | null } = {}) {
  const token = options.token === undefined ? TOKEN : options.token;
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(options.contentType ? { 'content-type': options.contentType } : {}) },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, allow: response.headers.get('allow'), body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

/** The body has exactly the documented fields. */
function expectErrorBody(body: unknown) {
  expect(errorBodySchema.strict().safeParse(body).success).toBe(true);
}

test.each([
  ['a body that is not JSON', 400, 'POST', '/api/v1/changes', { body: '{ "resource": ', contentType: 'application/json' }],
  ['an empty JSON body', 400, 'PATCH', '/api/v1/users/jack', { body: '', contentType: 'application/json' }],
  ['a body of another content type', 415, 'POST', '/api/v1/users', { body: 'name=will', contentType: 'application/x-www-form-urlencoded' }],
  ['a path that is not valid URL encoding', 400, 'GET', '/api/v1/users/%E0%A4%A', {}],
  ['a path parameter over 2,000 characters', 414, 'GET', `/api/v1/users/${'j'.repeat(2001)}`, {}],
  ['an unknown path', 404, 'GET', '/api/v1/nowhere', {}],
  ['no token', 401, 'GET', '/api/v1/roles', { token: null }],
])('%s: %d with { error, message }', async (_what, status, method, url, options) => {
  const answer = await send(method, url, options);
  expect(answer.status).toBe(status);
  expectErrorBody(answer.body);
  expect(answer.body).toEqual(expect.objectContaining({ error: expect.any(String), message: expect.any(String) }));
});

test.each([
  ['PROPFIND', '/api/v1/users', 'GET, HEAD, POST'],
  ['PUT', '/api/v1/users/jack', 'DELETE, GET, HEAD, PATCH'],
  ['GET', '/api/v1/resources/MyLittleAD/reconciliation', 'POST'],
  ['OPTIONS', '/api/v1/health', 'GET, HEAD'],
])('%s %s is 405 with Allow: %s', async (method, url, allow) => {
  const answer = await send(method, url);
  expect({ status: answer.status, allow: answer.allow }).toEqual({ status: 405, allow });
  expectErrorBody(answer.body);
});

test('a QUERY without a content type is 405 too, not a complaint about its content type', async () => {
  const answer = await send('QUERY', '/api/v1/roles');
  expect({ status: answer.status, allow: answer.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
});

test('allowedMethods matches a path by its route, parameters and all, and knows no unknown path', () => {
  const routes = [
    { method: 'GET', url: '/api/v1/users/:ref' },
    { method: 'POST', url: '/api/v1/users/:ref/assignments' },
    { method: 'DELETE', url: '/api/v1/users/:ref/assignments' },
  ];
  expect(allowedMethods(routes, '/api/v1/users/jack')).toEqual(['GET', 'HEAD']);
  expect(allowedMethods(routes, '/api/v1/users/jack/assignments')).toEqual(['DELETE', 'POST']);
  expect(allowedMethods(routes, '/api/v1/users/jack/links')).toEqual([]);
  expect(allowedMethods(routes, '/api/v1/users/')).toEqual([]);
});
