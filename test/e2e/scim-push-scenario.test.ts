/**
 * Tally as a SCIM service provider on the real stack (examples/scim): a service pushes a user over HTTP to
 * /scim/v2 with the resource's token; he gets his LDAP entry and MyLittleAD row through the Workforce role;
 * a PATCH active=false disables them; a DELETE deletes him and them (the resource's deleteFocus reaction).
 * A POST sent again is applied once; a wrong token is 401, a taken userName 409, a stale If-Match 412.
 */
import type { ExampleResources } from '../support/example-resources';
import { startScimSource } from '../support/scim-source';
import { eventually, type TallyHarness } from '../support/tally-harness';

const SCIM_TOKEN = 'entra-push-token';
const SCIM_CONTENT_TYPE = 'application/scim+json';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let source: Awaited<ReturnType<typeof startScimSource>>;
let tally: TallyHarness;
let resources: ExampleResources;
let scim: string;

beforeAll(async () => {
  source = await startScimSource('scim-push', SCIM_TOKEN);
  ({ tally, resources, scim } = source);
}, 180_000);

afterAll(async () => {
  await source?.stop();
});

async function send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${scim}${url}`, {
    method,
    headers: { authorization: `Bearer ${SCIM_TOKEN}`, ...(body !== undefined ? { 'content-type': SCIM_CONTENT_TYPE } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const ann = {
  schemas: [USER, ENTERPRISE],
  userName: 'ann',
  externalId: 'entra-0001',
  name: { givenName: 'Ann', familyName: 'Smith' },
  emails: [{ value: 'ann@example.com', type: 'work', primary: true }],
  title: 'Engineer',
  active: true,
  [ENTERPRISE]: { employeeNumber: '1001', department: 'Research' },
};

async function ldapEntry(uid: string) {
  const { searchEntries } = await resources.ldap.search(resources.base, { scope: 'one', filter: `(uid=${uid})`, attributes: ['uid', 'title', 'departmentNumber', 'businessCategory'] });
  return searchEntries[0] ?? null;
}

async function pgRow(login: string) {
  const { rows } = await resources.pg.query(`SELECT login, enabled FROM ${resources.table} WHERE login = $1`, [login]);
  return (rows[0] as { login: string; enabled: boolean } | undefined) ?? null;
}

test('a wrong or missing token is 401, as a SCIM error', async () => {
  for (const headers of [{ authorization: 'Bearer not-the-token' }, { authorization: '' }]) {
    const answer = await send('GET', '/Users', undefined, headers);
    expect(answer).toMatchObject({ status: 401, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401' } });
  }
});

test('a user pushed over SCIM gets his LDAP and PostgreSQL accounts; sent again, he is applied once; another with his userName is 409', async () => {
  const created = await send('POST', '/Users', ann);
  expect(created.status).toBe(201);
  expect(created.headers.get('content-type')).toContain(SCIM_CONTENT_TYPE);
  expect(created.body).toMatchObject({ userName: 'ann', id: expect.any(String), meta: { resourceType: 'User', version: 'W/"1"' } });
  const id = created.body!.id as string;

  await eventually(() => ldapEntry('ann'), (e) => e?.title === 'Engineer' && e?.departmentNumber === 'Research', "ann's LDAP entry", 120_000);
  await eventually(() => pgRow('ann'), (r) => r?.enabled === true, "ann's MyLittleAD row");
  const user = await tally.services.repo.users.byRef('ann');
  expect(user).toMatchObject({ givenName: 'Ann', familyName: 'Smith', fullName: 'Ann Smith', employeeNumber: '1001', emailAddress: 'ann@example.com' });

  const again = await send('POST', '/Users', ann);
  expect(again).toMatchObject({ status: 201, body: { id, meta: { version: 'W/"1"' } } });
  expect(await tally.inspect.changeEvents.count({ 'change.primaryIdentifier': id })).toBe(1);

  const other = await send('POST', '/Users', { ...ann, externalId: 'entra-0002' });
  expect(other).toMatchObject({ status: 409, body: { status: '409', scimType: 'uniqueness' } });

  const found = await send('GET', `/Users?filter=${encodeURIComponent('userName eq "ANN" and emails.value co "@example.com"')}`);
  expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id }] });
}, 180_000);

test('PATCH active=false disables his accounts; a stale If-Match is 412; DELETE deletes him and his accounts', async () => {
  const [{ id, meta }] = (await send('GET', '/Users?filter=userName%20eq%20%22ann%22')).body!.Resources as Array<{ id: string; meta: { version: string } }>;
  const patch = { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: false }] };
  const disabled = await send('PATCH', `/Users/${id}`, patch, { 'if-match': meta.version });
  expect(disabled).toMatchObject({ status: 200, body: { active: false, meta: { version: 'W/"2"' } } });
  await eventually(() => ldapEntry('ann'), (e) => e?.businessCategory === 'disabled', "ann's LDAP entry disabled", 120_000);
  await eventually(() => pgRow('ann'), (r) => r?.enabled === false, "ann's MyLittleAD row disabled");

  const stale = await send('PATCH', `/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'title', value: 'Boss' }] }, { 'if-match': meta.version });
  expect(stale).toMatchObject({ status: 412, body: { status: '412' } });

  expect((await send('DELETE', `/Users/${id}`)).status).toBe(204);
  await eventually(() => tally.services.repo.users.byRef('ann'), (u) => u === null, 'ann deleted in Tally', 120_000);
  await eventually(() => ldapEntry('ann'), (e) => e === null, "ann's LDAP entry deleted");
  await eventually(() => pgRow('ann'), (r) => r === null, "ann's MyLittleAD row deleted");
  expect((await send('GET', `/Users/${id}`)).status).toBe(404);
}, 240_000);
