/**
 * Listings and a user's life from the outside, on the real stack with the examples' configuration: `tally
 * user create` with the Pirate role gives will an LDAP account (the role), an assignment a PostgreSQL
 * row; elizabeth, created without roles, gets hers from the template; `tally user list`, `tally resources|roles|templates` and their API routes show what is there;
 * `tally resource test` checks connection and schema; `tally user delete` removes both accounts from the
 * real resources and will from the repository; a failed operation is retried after its cause is fixed,
 * or cancelled, and `tally status` then no longer lists it. Every API answer's status is one its
 * OpenAPI entry documents.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client as LdapClient } from 'ldapts';
import type { Client as PgClient } from 'pg';
import { applyConfig } from '../../src/admin/apply-config';
import { openApiDocument } from '../../src/api/api-routes';
import { roleSchema } from '../../src/schema/config';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { listenApi, startTally, type TallyHarness } from '../support/tally-harness';
import { runTallyCli } from '../support/tally-cli';
import { ldapResourceYaml } from '../support/ldap-resource-yaml';

const TOKEN = 'user-lifecycle-token';
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
let tally: TallyHarness;
let api: FastifyInstance;
let base: string;
let resources: ExampleResources;
let pg: PgClient;
let ou: string;
let table: string;
let config: string;

const documented = openApiDocument() as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** A real request; the answer's status must be one the OpenAPI document gives for the route. */
async function call(method: string, url: string, route: string, body?: unknown) {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const statuses = Object.keys(documented.paths[route]?.[method.toLowerCase()]?.responses ?? {});
  expect(statuses).toContain(String(response.status));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> & { error?: string; message?: string } };
}

async function cli(args: string[]) {
  return runTallyCli(tally.env, args);
}

async function cliJson<T>(args: string[]): Promise<T> {
  const result = await cli([...args, '--json']);
  if (result.code !== 0) throw new Error(`tally ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

async function ldapEntry(uid: string): Promise<Record<string, unknown> | null> {
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    const { searchEntries } = await ldap.search(`ou=${ou},dc=example,dc=com`, { scope: 'one', filter: `(uid=${uid})` });
    return searchEntries[0] ?? null;
  } finally {
    await ldap.unbind();
  }
}

async function pgRow(login: string): Promise<Record<string, unknown> | null> {
  return ((await pg.query(`SELECT * FROM ${table} WHERE login = $1`, [login])).rows[0] as Record<string, unknown> | undefined) ?? null;
}

async function applyYaml(name: string, yaml: string) {
  const file = path.join(os.tmpdir(), `tally-lifecycle-${process.pid}-${name}.yaml`);
  writeFileSync(file, yaml);
  return applyConfig(tally.services.repo, tally.services.key, [file]);
}

beforeAll(async () => {
  tally = await startTally('lifecycle');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  ({ pg, ou, table, examples: config } = resources);
  rmSync(path.join(config, 'users', 'jack.yaml'));
  await applyConfig(tally.services.repo, tally.services.key, [config]);
  const listening = await listenApi(tally, TOKEN);
  api = listening.api;
  base = listening.url;
}, 180_000);

afterAll(async () => {
  await api?.close();
  await resources?.close();
  await tally?.stop();
});

test('tally user create with the Pirate role provisions his LDAP account; an assignment gives him his PostgreSQL row', async () => {
  const created = await cliJson<{ user: { name: string; givenName: string; assignment: unknown[] }; provisioning: { accountOperations: Array<{ action: string }> } }>([
    'user', 'create', 'will', 'givenName=Will', 'familyName=Turner', 'extension/ship=Flying Dutchman', '--assign', 'Pirate', '--wait',
  ]);
  expect(created.user).toMatchObject({ name: 'will', givenName: 'Will', extension: { ship: 'Flying Dutchman' } });
  expect(created.provisioning.accountOperations).toEqual([expect.objectContaining({ action: 'add', reason: expect.stringMatching(/Pirate/) })]);
  expect(await ldapEntry('will')).toMatchObject({ cn: 'Will Turner', title: 'Pirate' });
  // The template's account on MyLittleAD is weak: only for users without assignments. Will gets his directly.
  await cliJson(['user', 'assign', 'will', '--resource', 'MyLittleAD', '--wait']);
  expect(await pgRow('will')).toMatchObject({ name: 'cn=will,o=Acme', cn: 'Will Turner' });

  const again = await cli(['user', 'create', 'will']);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toMatch(/a user named 'will' exists already/);
  const badRole = await cli(['user', 'create', 'bootstrap', '--assign', 'Admiral']);
  expect(badRole.code).not.toBe(0);
  expect(badRole.stderr).toMatch(/no role 'Admiral' \(roles: Pirate\)/);
  expect(await tally.services.repo.users.byRef('bootstrap')).toBeNull();
});

test('users are listed a page at a time, filtered by a part of the name, from the CLI and the API', async () => {
  const created = await call('POST', '/api/v1/users', '/api/v1/users', { name: 'elizabeth', properties: { givenName: 'Elizabeth', familyName: 'Swann' } });
  expect(created.status).toBe(201);
  expect(await call('POST', '/api/v1/users', '/api/v1/users', { name: 'elizabeth' })).toMatchObject({ status: 409, body: { error: 'exists' } });
  const invalid = await call('POST', '/api/v1/users', '/api/v1/users', { name: ' x', properties: { shoeSize: '9' } });
  expect(invalid.status).toBe(400);
  expect(invalid.body.problems).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));

  const filtered = await cliJson<{ users: Array<{ name: string; accounts: number }> }>(['user', 'list', '--name', 'WIL']);
  expect(filtered.users.map((u) => u.name)).toEqual(['will']);
  expect(filtered.users[0].accounts).toBe(2);

  const first = await call('GET', '/api/v1/users?limit=1', '/api/v1/users');
  expect(first.body).toMatchObject({ users: [{ name: 'elizabeth' }], next: 'elizabeth', nextLink: '/api/v1/users?limit=1&after=elizabeth' });
  const second = await call('GET', first.body.nextLink as string, '/api/v1/users');
  expect((second.body.users as Array<{ name: string }>).map((u) => u.name)).toEqual(['will']);
  expect(second.body.next).toBeUndefined();
  const cliPage = await cli(['user', 'list', '--limit', '1']);
  expect(cliPage.stdout).toMatch(/more: tally user list --after 'elizabeth'/);
  expect((await call('GET', '/api/v1/users?limit=0', '/api/v1/users')).status).toBe(400);
});

test('resources, roles and templates are listed with their settings and shadow counts, never a secret', async () => {
  const resources = await cliJson<Array<{ name: string; connectorType: string; liveSync: { configured: boolean }; shadows: { existing: number } }>>(['resources']);
  expect(resources.map((r) => [r.name, r.connectorType, r.liveSync.configured])).toEqual([
    ['MyLittleAD', 'postgres', true],
    ['OpenDJ LDAP directory', 'ldap', true],
  ]);
  expect(resources.find((r) => r.name === 'OpenDJ LDAP directory')!.shadows.existing).toBeGreaterThanOrEqual(1);
  const fromApi = await call('GET', '/api/v1/resources', '/api/v1/resources');
  expect(JSON.stringify(fromApi.body)).not.toContain(tally.stack.ldap.bindPassword);
  expect((await call('GET', `/api/v1/resources/${LDAP_OID}`, '/api/v1/resources/{ref}')).body).toMatchObject({ name: 'OpenDJ LDAP directory', endpoint: expect.stringContaining(ou) });
  expect((await call('GET', '/api/v1/resources/nowhere', '/api/v1/resources/{ref}')).status).toBe(404);

  const roles = await cliJson<Array<{ name: string; inducements: string[] }>>(['roles']);
  expect(roles).toEqual([expect.objectContaining({ name: 'Pirate', inducements: ['account on OpenDJ LDAP directory (account/default)'] })]);
  expect((await call('GET', '/api/v1/roles', '/api/v1/roles')).body).toEqual(roles);
  const templates = await cliJson<Array<{ name: string; mappings: string[] }>>(['templates']);
  expect(templates).toEqual([expect.objectContaining({ name: 'Default User Template', mappings: ['weak givenName, familyName -> fullName', 'weak (no source) -> assignment'] })]);
  expect((await call('GET', '/api/v1/templates', '/api/v1/templates')).body).toEqual(templates);
});

test('tally resource test checks connection and schema, says why a check failed, exits non-zero then, and prints no secret', async () => {
  for (const name of ['OpenDJ LDAP directory', 'MyLittleAD']) {
    const tested = await cliJson<{ ok: boolean; checks: Array<{ check: string; ok: boolean }> }>(['resource', 'test', name]);
    expect(tested.ok).toBe(true);
    const groups = name === 'MyLittleAD' ? [] : ['object class groupOfNames (entitlement/group)', 'mapped attributes (entitlement/group)'];
    expect(tested.checks.map((c) => c.check)).toEqual(['connection', (name === 'MyLittleAD' ? `table ${table}` : 'object class inetOrgPerson') + ' (account/default)', 'mapped attributes (account/default)', ...groups]);
  }
  const wrongPassword = 'not-the-password-0451';
  process.env.TALLY_LIFECYCLE_WRONG_PASSWORD = wrongPassword;
  await applyYaml('bad-ldap', ldapResourceYaml({ oid: 'lifecycle-bad-login', name: 'Bad login', ldap: tally.stack.ldap, base: `ou=${ou},dc=example,dc=com` }).replace('TALLY_LDAP_PASSWORD', 'TALLY_LIFECYCLE_WRONG_PASSWORD'));
  const badLogin = await runTallyCli({ ...tally.env, TALLY_LIFECYCLE_WRONG_PASSWORD: wrongPassword }, ['resource', 'test', 'Bad login']);
  expect(badLogin.code).not.toBe(0);
  expect(badLogin.stdout).toMatch(/failed connection: cannot connect to .* as cn=admin,dc=example,dc=com: /);
  expect(badLogin.stdout + badLogin.stderr).not.toContain(wrongPassword);

  await applyYaml(
    'bad-schema',
    // Its declared schema says more than the directory has (apply believes the declaration; the test asks the directory).
    ldapResourceYaml({
      oid: 'lifecycle-bad-schema',
      name: 'Bad schema',
      ldap: tally.stack.ldap,
      base: `ou=${ou},dc=example,dc=com`,
      attributes: '        - ref: shoeSize\n          outbound: { expression: { value: "9" } }\n',
      tail: 'schema:\n  objectClass:\n    - { name: inetOrgPerson, attribute: [uid, cn, sn, shoeSize] }\n',
    }),
  );
  const badSchema = await call('POST', '/api/v1/resources/Bad%20schema/test', '/api/v1/resources/{ref}/test');
  expect(badSchema.body).toMatchObject({ ok: false, checks: expect.arrayContaining([{ check: 'mapped attributes (account/default)', ok: false, message: 'missing on inetOrgPerson: shoeSize' }]) });
  const cliSchema = await cli(['resource', 'test', 'Bad schema']);
  expect(cliSchema.code).not.toBe(0);
  expect(cliSchema.stdout).toMatch(/ok +connection/);
  expect(cliSchema.stdout).toMatch(/failed mapped attributes \(account\/default\): missing on inetOrgPerson: shoeSize/);
  expect((await call('POST', '/api/v1/resources/nowhere/test', '/api/v1/resources/{ref}/test')).status).toBe(404);
  const notJson = await fetch(`${base}/api/v1/resources/MyLittleAD/test`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{not json' });
  expect(notJson.status).toBe(400);
  expect(Object.keys(documented.paths['/api/v1/resources/{ref}/test'].post.responses)).toContain('400');
  expect(await notJson.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
});

test('tally user delete deletes his LDAP account and PostgreSQL row from the real resources, then him', async () => {
  const will = (await tally.services.repo.users.byRef('will'))!;
  expect(will.linkRef).toHaveLength(2);
  const deleted = await cliJson<{ workflowId: string; outcome: { deleted: boolean; accounts: Array<{ resource: string; action: string; state: string }> } }>(['user', 'delete', 'will', '--wait']);
  expect(deleted.workflowId).toBe(`delete-user:${will.oid}`);
  expect(deleted.outcome.deleted).toBe(true);
  expect(deleted.outcome.accounts.map((a) => `${a.resource} ${a.action} ${a.state}`).sort()).toEqual(['MyLittleAD delete done', 'OpenDJ LDAP directory delete done']);
  expect(await ldapEntry('will')).toBeNull();
  expect(await pgRow('will')).toBeNull();
  expect(await tally.services.repo.users.byRef('will')).toBeNull();
  expect(await tally.services.repo.shadows.byOids(will.linkRef)).toEqual([]);
  expect(await tally.inspect.audit.count({ objectOid: will.oid, message: 'user deleted' })).toBe(1);

  const unknown = await cli(['user', 'delete', 'will']);
  expect(unknown.code).not.toBe(0);
  expect(unknown.stderr).toMatch(/no user 'will'/);
  expect((await call('DELETE', '/api/v1/users/nobody', '/api/v1/users/{ref}')).status).toBe(404);

  const elizabeth = (await tally.services.repo.users.byRef('elizabeth'))!;
  expect(await pgRow('elizabeth')).not.toBeNull();
  const viaApi = await call('DELETE', '/api/v1/users/elizabeth?wait=true', '/api/v1/users/{ref}');
  expect(viaApi).toMatchObject({ status: 200, body: { userOid: elizabeth.oid, outcome: { deleted: true } } });
  expect(await pgRow('elizabeth')).toBeNull();
  expect(await tally.services.repo.users.byRef('elizabeth')).toBeNull();
});

test('a failed operation is retried once its cause is fixed, and a cancelled one leaves tally status', async () => {
  // A role whose script can't run, stored directly (tally apply would refuse it): provisioning fails for good.
  const broken = roleSchema.parse({
    kind: 'Role',
    name: 'Cursed',
    inducement: [{ construction: { resourceRef: LDAP_OID, attribute: [{ ref: 'title', outbound: { strength: 'strong', expression: { script: { code: "process.mainModule.require('child_process')" } } } }] } }],
  });
  await tally.services.repo.config.insert('Role', { ...broken, oid: 'role-cursed', version: 1, storedAt: new Date().toISOString() });
  const stuckIds: string[] = [];
  for (const name of ['barbossa', 'bootstrap']) {
    const created = await cliJson<{ provisioningWorkflowId: string }>(['user', 'create', name, 'givenName=Captain', `familyName=${name}`, '--assign', 'Cursed']);
    await expect(tally.services.client.workflow.getHandle(created.provisioningWorkflowId).result()).rejects.toThrow();
    stuckIds.push(created.provisioningWorkflowId);
  }
  const status = async () => (await cliJson<Array<{ workflowId: string; state: string }>>(['status'])).filter((s) => stuckIds.includes(s.workflowId));
  expect((await status()).map((s) => s.state)).toEqual(['failed', 'failed']);

  // The cause fixed: the role's title is a plain value now.
  const fixed = roleSchema.parse({
    kind: 'Role',
    name: 'Cursed',
    inducement: [{ construction: { resourceRef: LDAP_OID, attribute: [{ ref: 'title', outbound: { strength: 'strong', expression: { value: 'Cursed' } } }] } }],
  });
  await tally.services.repo.config.replace('Role', 'role-cursed', 1, { set: { inducement: fixed.inducement } });
  const retried = await cliJson<{ done: string }>(['operation', 'retry', stuckIds[0]]);
  expect(retried.done).toBe('reset');
  await tally.services.client.workflow.getHandle(stuckIds[0]).result();
  expect(await ldapEntry('barbossa')).toMatchObject({ title: 'Cursed' });
  // It is done now: retrying again is refused, nothing runs a third time.
  expect((await call('POST', `/api/v1/operations/${encodeURIComponent(stuckIds[0])}/retry`, '/api/v1/operations/{id}/{action}')).status).toBe(409);

  const cancelled = await call('POST', `/api/v1/operations/${encodeURIComponent(stuckIds[1])}/cancel`, '/api/v1/operations/{id}/{action}');
  expect(cancelled.body).toMatchObject({ done: 'cancelled' });
  expect(await status()).toEqual([]);
  expect(await tally.inspect.audit.count({ workflowId: stuckIds[1], message: /cancelled/ })).toBe(1);
  expect((await call('POST', `/api/v1/operations/${encodeURIComponent(stuckIds[1])}/cancel`, '/api/v1/operations/{id}/{action}')).body).toMatchObject({ done: 'already cancelled' });
  expect((await call('POST', '/api/v1/operations/no-such-workflow/retry', '/api/v1/operations/{id}/{action}')).status).toBe(404);
  const unknown = await cli(['operation', 'cancel', 'no-such-workflow']);
  expect(unknown.code).not.toBe(0);
  expect(unknown.stderr).toMatch(/no operation 'no-such-workflow'/);
});

test('an account its resource keeps without an assignment (enforcement none) is unlinked and left on the resource when its owner is deleted', async () => {
  const hrYaml = readFileSync(path.join(config, 'resources', 'hr-postgres.yaml'), 'utf8');
  await applyYaml('hr-none', `${hrYaml}\nconsistency:\n  assignmentPolicyEnforcement: none\n`);
  // Without roles, the template's weak assignment gives gibbs his MyLittleAD row.
  const created = await call('POST', '/api/v1/users', '/api/v1/users', { name: 'gibbs', properties: { givenName: 'Joshamee', familyName: 'Gibbs' } });
  await tally.services.client.workflow.getHandle(created.body.provisioningWorkflowId as string).result();
  expect(await pgRow('gibbs')).toMatchObject({ cn: 'Joshamee Gibbs' });
  const [shadowOid] = (await tally.services.repo.users.byRef('gibbs'))!.linkRef;

  const deleted = await cliJson<{ outcome: { deleted: boolean; accounts: Array<{ resource: string; action: string; state: string }> } }>(['user', 'delete', 'gibbs', '--wait']);
  expect(deleted.outcome).toMatchObject({ deleted: true, accounts: [{ resource: 'MyLittleAD', action: 'unlink', state: 'done' }] });
  expect(await pgRow('gibbs')).toMatchObject({ cn: 'Joshamee Gibbs' });
  expect(await tally.services.repo.shadows.get(shadowOid)).toMatchObject({ ownerRef: null, exists: true });
  expect(await tally.services.repo.users.byRef('gibbs')).toBeNull();
});
