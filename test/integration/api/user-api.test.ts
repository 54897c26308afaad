/**
 * The HTTP API's guard rails on a real Tally (repository, Temporal, worker): bearer-token
 * authentication, 400 answers naming the fields of a bad body, unknown users, roles and resources
 * named in the answer, and the OpenAPI document. Successful changes are proven end to end in
 * test/e2e (assignment-scenario, creation-scenario).
 */
import type { FastifyInstance } from 'fastify';
import { applyConfig } from '../../../src/admin/apply-config';
import { settableUserProperties } from '../../../src/schema/api';
import { startTally, examplesForStack, type TallyHarness, listenApi } from '../../support/tally-harness';

const TOKEN = 'user-api-test-token';
let tally: TallyHarness;
let api: FastifyInstance;
let base: string;

type Problems = { error: string; message: string; problems: Array<{ field: string; message: string }> };

/** A real HTTP request to the listening API (fastify's inject pulls in an ES module jest can't load). */
async function send(method: string, url: string, options: { body?: string; token?: string | null; headers?: Record<string, string> } = {}) {
  const token = options.token === undefined ? TOKEN : options.token;
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(token !== null ? { authorization: `Bearer ${token}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  return { status: response.status, text: await response.text() };
}

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, token: string | null = TOKEN) {
  const response = await send(method, url, { body: body === undefined ? undefined : JSON.stringify(body), token });
  return { status: response.status, body: JSON.parse(response.text) as Problems & Record<string, unknown> };
}

beforeAll(async () => {
  tally = await startTally('user-api');
  await applyConfig(tally.services.repo, tally.services.key, [examplesForStack(tally.stack, { ldapOu: 'people-api', table: 'accounts_api' })]);
  const listening = await listenApi(tally, TOKEN);
  api = listening.api;
  base = listening.url;
}, 120_000);

afterAll(async () => {
  await api?.close();
  await tally?.stop();
});

describe('authentication', () => {
  test.each([
    ['no token', null],
    ['a wrong token', 'not-the-token'],
    ['a token of the wrong length', `${TOKEN}x`],
  ])('%s gets 401 and changes nothing', async (_what, token) => {
    const before = await tally.services.repo.users.byRef('jack');
    for (const [method, url, body] of [
      ['GET', '/api/v1/users/jack', undefined],
      ['PATCH', '/api/v1/users/jack', { givenName: 'Jim' }],
      ['POST', '/api/v1/users/jack/assignments', { resource: 'MyLittleAD' }],
      ['DELETE', '/api/v1/users/jack/assignments', { role: 'Pirate' }],
      ['POST', '/api/v1/changes', { resource: 'MyLittleAD', account: 'cn=jack,o=Acme' }],
      ['GET', '/api/v1/shadows', undefined],
    ] as const) {
      const response = await call(method, url, body, token);
      expect({ method, url, status: response.status, error: response.body.error }).toEqual({ method, url, status: 401, error: 'unauthorized' });
    }
    expect(await tally.services.repo.users.byRef('jack')).toEqual(before);
  });

  test('the token is not echoed in the answer', async () => {
    const response = await send('GET', '/api/v1/users/jack', { token: 'secret-guess-123' });
    expect(response.status).toBe(401);
    expect(response.text).not.toContain('secret-guess-123');
  });
});

describe('PATCH /api/v1/users/{ref}', () => {
  test('unknown properties and wrong types are 400 with the field paths', async () => {
    const response = await call('PATCH', '/api/v1/users/jack', { givenName: 5, nickname: 'Jacky', extension: { 'bad name': 'x', shoeSize: 44 } });
    expect(response.status).toBe(400);
    const fields = response.body.problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['givenName', '(body)', 'extension.bad name']));
    expect(response.body.problems.find((p) => p.field === '(body)')!.message).toMatch(/unknown user property 'nickname'; settable are fullName, givenName, familyName, emailAddress, telephoneNumber, title, locality, employeeNumber, employeeType, organization, organizationalUnit, templateRef, activation\/administrativeStatus, activation\/validFrom, activation\/validTo, credentials\/password\/value and extension\/<name>/);
    expect(response.body.message).toMatch(/givenName: /);
    expect((await tally.services.repo.users.byRef('jack'))!.givenName).toBe('Jack');
  });

  test('a bad e-mail address is named', async () => {
    const response = await call('PATCH', '/api/v1/users/jack', { emailAddress: 'not-an-address' });
    expect(response.status).toBe(400);
    expect(response.body.problems).toEqual([{ field: 'emailAddress', message: 'expected an e-mail address' }]);
  });

  test('a templateRef to an unknown object template is 404 naming the known ones', async () => {
    const response = await call('PATCH', '/api/v1/users/jack', { templateRef: 'Nowhere' });
    expect(response.status).toBe(404);
    expect(response.body.problems).toEqual([{ field: 'templateRef', message: "no object template 'Nowhere'" }]);
    expect(response.body.message).toBe("no object template 'Nowhere' (object templates: Default User Template)");
    expect(await tally.services.repo.users.byRef('jack')).not.toHaveProperty('templateRef');
  });

  test('an empty change is 400', async () => {
    const response = await call('PATCH', '/api/v1/users/jack', {});
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/name at least one property/);
  });

  test('an unknown user is 404 naming it', async () => {
    const response = await call('PATCH', '/api/v1/users/nobody', { givenName: 'No' });
    expect(response.status).toBe(404);
    expect(response.body.message).toBe("no user 'nobody'");
  });

  test('a body that is not JSON is 400', async () => {
    const response = await send('PATCH', '/api/v1/users/jack', { body: '{ givenName: ' });
    expect(response.status).toBe(400);
  });
});

describe('assignments', () => {
  test('an unknown role is 404 naming it and the known roles', async () => {
    const response = await call('POST', '/api/v1/users/jack/assignments', { role: 'Admiral' });
    expect(response.status).toBe(404);
    expect(response.body.message).toBe("no role 'Admiral' (roles: Pirate)");
    expect(response.body.problems).toEqual([{ field: 'role', message: "no role 'Admiral'" }]);
  });

  test('an unknown resource is 404 naming it', async () => {
    const response = await call('POST', '/api/v1/users/jack/assignments', { resource: 'HR' });
    expect(response.status).toBe(404);
    expect(response.body.message).toBe("no resource 'HR' (resources: MyLittleAD, OpenDJ LDAP directory)");
    expect(response.body.problems).toEqual([{ field: 'resource', message: "no resource 'HR'" }]);
  });

  test('an unknown intent of a known resource is 400', async () => {
    const response = await call('POST', '/api/v1/users/jack/assignments', { resource: 'MyLittleAD', intent: 'admin' });
    expect(response.status).toBe(400);
    expect(response.body.problems).toEqual([{ field: 'intent', message: "no account type with intent 'admin' on resource 'MyLittleAD'" }]);
  });

  test('a body naming both or neither of role and resource, or unknown fields, is 400', async () => {
    for (const body of [{ role: 'Pirate', resource: 'MyLittleAD' }, {}, { role: 'Pirate', intent: 'x' }, { role: 'Pirate', rolle: 'x' }, { role: '' }]) {
      const response = await call('POST', '/api/v1/users/jack/assignments', body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.problems.length).toBeGreaterThan(0);
    }
    const both = await call('POST', '/api/v1/users/jack/assignments', { role: 'Pirate', intent: 'x' });
    expect(both.body.problems).toEqual([{ field: 'intent', message: 'kind and intent belong to a resource assignment, not a role' }]);
    const typo = await call('POST', '/api/v1/users/jack/assignments', { role: 'Pirate', rolle: 'x' });
    expect(typo.body.problems[0].message).toMatch(/unknown field 'rolle'/);
  });

  test('removing an assignment the user does not have is 404', async () => {
    const response = await call('DELETE', '/api/v1/users/jack/assignments', { resource: 'MyLittleAD' });
    expect(response.status).toBe(404);
    expect(response.body.message).toBe("user 'jack' has no assignment of an account on resource 'MyLittleAD'");
    expect((await tally.services.repo.users.byRef('jack'))!.assignment).toEqual([{ targetRef: 'Pirate' }]);
  });

  test('assigning a role the user already has (by name or oid) changes nothing and starts no workflow', async () => {
    const pirate = await tally.services.repo.config.role('Pirate');
    for (const role of ['Pirate', pirate!.oid]) {
      const response = await call('POST', '/api/v1/users/jack/assignments', { role });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ changedPaths: [] });
      expect(response.body.provisioningWorkflowId).toBeUndefined();
    }
  });
});

test("POST /api/v1/users stores a new user's properties as PATCH does: the password sealed, the template by its oid, no cleared item", async () => {
  const template = (await tally.services.repo.config.snapshot()).objectTemplates.find((t) => t.name === 'Default User Template')!;
  const response = await call('POST', '/api/v1/users', {
    name: 'api-created',
    properties: { credentials: { password: { value: 'Pieces-of-8' } }, templateRef: template.name, activation: { administrativeStatus: 'enabled', validFrom: null }, fullName: null },
  });
  expect(response.status).toBe(201);
  const stored = (await tally.services.repo.users.byRef('api-created'))!;
  expect(JSON.stringify(stored)).not.toContain('Pieces-of-8');
  expect(stored.credentials?.password).toEqual({ encrypted: expect.any(String), changedAt: expect.any(String) });
  expect(stored).toMatchObject({ templateRef: template.oid, activation: { administrativeStatus: 'enabled' } });
  expect(stored.activation).not.toHaveProperty('validFrom');
  expect(stored).not.toHaveProperty('fullName');
  expect(response.body.user).toMatchObject({ credentials: { password: { set: true } } });
  expect(JSON.stringify(response.body)).not.toContain('Pieces-of-8');
});

test('POST /api/v1/changes with a bad body is 400 with the field paths', async () => {
  const response = await call('POST', '/api/v1/changes', { resource: '', changeType: 'rename', extra: 1 });
  expect(response.status).toBe(400);
  expect(response.body.problems.map((p) => p.field)).toEqual(expect.arrayContaining(['resource', 'changeType']));
});

test('the OpenAPI document is served without a token and describes the user endpoints', async () => {
  const response = await send('GET', '/api/v1/openapi.json', { token: null });
  expect(response.status).toBe(200);
  const doc = JSON.parse(response.text) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } }>> };
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/changes', '/api/v1/users/{ref}', '/api/v1/users/{ref}/assignments', '/api/v1/shadows']));
  const schemaOf = (path: string, method: string) => doc.paths[path][method].requestBody!.content['application/json'].schema;
  expect(Object.keys(schemaOf('/api/v1/users/{ref}', 'patch').properties!)).toEqual([
    ...settableUserProperties.filter((p) => !p.includes('/')),
    'activation',
    'credentials',
    'extension',
  ]);
  expect(settableUserProperties).toEqual(expect.arrayContaining(['fullName', 'emailAddress', 'title', 'telephoneNumber', 'organizationalUnit']));
  expect(Object.keys(schemaOf('/api/v1/users/{ref}/assignments', 'post').properties!)).toEqual(['role', 'resource', 'kind', 'intent']);
  expect(Object.keys(schemaOf('/api/v1/users/{ref}/assignments', 'delete').properties!)).toEqual(['role', 'resource', 'kind', 'intent']);
});

describe('operator endpoints', () => {
  test('GET /api/v1/status lists stuck operations as data', async () => {
    const response = await call('GET', '/api/v1/status');
    expect(response.status).toBe(200);
    expect(Array.isArray(response.body)).toBe(true);
    expect((await call('GET', '/api/v1/status', undefined, null)).status).toBe(401);
  });

  test('GET /api/v1/shadows/{oid}/account of an unknown shadow is 404', async () => {
    const response = await call('GET', '/api/v1/shadows/no-such-shadow/account');
    expect(response.status).toBe(404);
    expect(response.body.message).toMatch(/no-such-shadow/);
  });
});
