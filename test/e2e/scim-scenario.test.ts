/**
 * SCIM end to end, on a private scim2-server behind the test proxy: a role gives a user a SCIM account
 * (examples/scim-app/scim-app.yaml) and membership of the role's Group; changes of the user reach it, also when
 * the service refuses the first write with 412; disabling him sets active=false; an account the service
 * had already is linked (409, discovery); a service answering 429 postpones the change, which is done once
 * it answers again; reconciliation creates again an account deleted behind Tally's back; unassigning the
 * role deletes the account and its membership. `tally resource test`
 * shows what the service says of itself, and `tally livesync start` says SCIM has no changelog.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import { setUserProperties, unassignFromUser, type UserCommandResult } from '../../src/admin/user-commands';
import { startTestScim, type TestScim } from '../support/scim';
import { runTallyCli } from '../support/tally-cli';
import { applyAndProvision, eventually, listenApi, startTally, type TallyHarness } from '../support/tally-harness';

const RESOURCE = 'SaaS app';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let scim: TestScim;
let tally: TallyHarness;
let config: string;

/** examples/scim-app/scim-app.yaml pointed at the proxy, with retries a test can wait for. */
const resourceYaml = () =>
  readFileSync(path.join(__dirname, '..', '..', 'examples', 'scim-app', 'scim-app.yaml'), 'utf8')
    .replace('https://app.example.com/scim/v2', scim.proxy.url)
    .replace('reconciliation: { schedule: "*/15 * * * *" }', 'consistency: { retry: { initialInterval: 1s, maximumInterval: 2s }, livenessCheckInterval: 1s }');

const userYaml = (name: string, fullName: string) => `kind: User
name: ${name}
fullName: ${fullName}
givenName: ${fullName.split(' ')[0]}
familyName: ${fullName.split(' ')[1]}
emailAddress: ${name}@example.com
employeeNumber: "${name.length}"
organizationalUnit: [Sales]
assignment:
  - targetRef: SaaS user
`;

type ScimUser = Record<string, unknown> & { id: string };

async function userNamed(userName: string): Promise<ScimUser | undefined> {
  const list = await scim.call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
  return (list.body.Resources as ScimUser[])[0];
}

async function salesMembers(): Promise<string[]> {
  const list = await scim.call('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Sales"')}`);
  return ((list.body.Resources as Array<{ members?: Array<{ value: string }> }>)[0].members ?? []).map((m) => m.value);
}

async function provisioned(result: Promise<UserCommandResult>): Promise<void> {
  const { provisioningWorkflowId } = await result;
  if (provisioningWorkflowId) await tally.services.client.workflow.getHandle(provisioningWorkflowId).result();
}

async function apply(files: Record<string, string>): Promise<void> {
  const dirs = new Set<string>();
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(config, file)), { recursive: true });
    writeFileSync(path.join(config, file), text);
    dirs.add(path.join(config, path.dirname(file)));
  }
  await applyAndProvision(tally.services, [...dirs]);
}

const shadowOf = async (name: string) => {
  const user = await tally.services.repo.users.byRef(name);
  return (await tally.services.repo.shadows.ofOwner(user!.oid))[0];
};

beforeAll(async () => {
  scim = await startTestScim();
  tally = await startTally('scim', { env: { TALLY_SCIM_TOKEN: scim.token } });
  expect((await scim.call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Sales' })).status).toBe(201);
  config = mkdtempSync(path.join(tmpdir(), 'tally-scim-config-'));
  await apply({ 'resources/scim.yaml': resourceYaml(), 'users/will.yaml': userYaml('will', 'Will Turner') });
}, 180_000);

afterAll(async () => {
  await tally?.stop();
  await scim?.close();
});

test("a role gives the user a SCIM account, active, with his attributes and the enterprise extension's, member of the role's Group", async () => {
  const will = await userNamed('will');
  expect(will).toMatchObject({
    userName: 'will',
    displayName: 'Will Turner',
    name: { givenName: 'Will', familyName: 'Turner' },
    emails: [{ value: 'will@example.com' }],
    active: true,
    [ENTERPRISE]: { employeeNumber: '4', department: 'Sales' },
  });
  expect(await salesMembers()).toEqual([will!.id]);
  expect(await shadowOf('will')).toMatchObject({ exists: true, primaryIdentifier: will!.id, pendingOperations: [] });
});

test('tally resource test shows what the service says of itself; tally livesync start (and the API, 409) says SCIM has no changelog and what to do instead', async () => {
  const tested = await runTallyCli(tally.env, ['resource', 'test', RESOURCE, '--json']);
  const checks = (JSON.parse(tested.stdout) as { checks: Array<{ check: string; ok: boolean; message: string }> }).checks;
  expect(checks.map((c) => [c.check, c.ok])).toEqual([
    ['connection', true],
    ['ServiceProviderConfig', true],
    ['Schemas', true],
    ['ResourceTypes', true],
    ['object class User (account/default)', true],
    ['mapped attributes (account/default)', true],
    ['object class Group (entitlement/group)', true],
    ['mapped attributes (entitlement/group)', true],
  ]);
  expect(checks[1].message).toMatch(/^patch yes, bulk yes/);
  expect(checks[3].message).toBe('User at /Users (extensions enterprise:2.0:User), Group at /Groups');

  const livesync = await runTallyCli(tally.env, ['livesync', 'start', RESOURCE]);
  expect(livesync.code).not.toBe(0);
  expect(livesync.stderr).toContain('SaaS app is a SCIM service, and SCIM has no changelog: live sync has nothing to read. Schedule a reconciliation instead');
  const { api, url } = await listenApi(tally, 'scim-api-token');
  try {
    const answer = await fetch(`${url}/api/v1/resources/${encodeURIComponent(RESOURCE)}/livesync/start`, { method: 'POST', headers: { authorization: 'Bearer scim-api-token' } });
    expect(answer.status).toBe(409);
    expect(await answer.json()).toEqual({ error: 'no changelog', message: expect.stringContaining('SCIM has no changelog') });
  } finally {
    await api.close();
  }
});

test("a change of the user reaches his account; a 412 (changed by someone else since Tally read it) is read again and retried", async () => {
  await provisioned(setUserProperties(tally.services, 'will', { fullName: 'William Turner' }, 'user'));
  expect((await userNamed('will'))?.displayName).toBe('William Turner');

  scim.proxy.conflicts(1);
  await provisioned(setUserProperties(tally.services, 'will', { employeeNumber: '1701' }, 'user'));
  expect((await userNamed('will'))?.[ENTERPRISE]).toMatchObject({ employeeNumber: '1701' });
  expect(await shadowOf('will')).toMatchObject({ exists: true, pendingOperations: [] });
});

test('disabling the user sets active=false on his account; enabling him sets it back', async () => {
  await provisioned(setUserProperties(tally.services, 'will', { activation: { administrativeStatus: 'disabled' } }, 'user'));
  expect((await userNamed('will'))?.active).toBe(false);
  await provisioned(setUserProperties(tally.services, 'will', { activation: { administrativeStatus: 'enabled' } }, 'user'));
  expect((await userNamed('will'))?.active).toBe(true);
});

test('an account the service had already (409 on create) is discovered and linked, and joins the Group', async () => {
  const existing = await scim.call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'hector', displayName: 'Hector B.' });
  expect(existing.status).toBe(201);
  await apply({ 'later/hector.yaml': userYaml('hector', 'Hector Barbossa') });
  const hector = await eventually(() => shadowOf('hector'), (s) => !!s?.exists && s.pendingOperations.length === 0, "hector's account linked");
  expect(hector.primaryIdentifier).toBe(existing.body.id);
  const users = await scim.call('GET', `/Users?filter=${encodeURIComponent('userName eq "hector"')}`);
  expect(users.body.totalResults).toBe(1);
  await eventually(() => userNamed('hector'), (u) => u?.displayName === 'Hector Barbossa', "hector's account brought to what Tally says");
  expect(await salesMembers()).toEqual(expect.arrayContaining([existing.body.id]));
});

test('a service answering 429 postpones the change (a pending operation); once it answers again the change is done, once', async () => {
  let patchesBefore = 0;
  scim.proxy.busy(1);
  try {
    void setUserProperties(tally.services, 'will', { fullName: 'Captain Will Turner' }, 'user');
    const waiting = await eventually(() => shadowOf('will'), (s) => s?.pendingOperations[0]?.result?.status === 'postponed', "will's change postponed");
    expect(waiting.pendingOperations).toEqual([expect.objectContaining({ type: 'modify' })]);
    expect((await userNamed('will'))?.displayName).toBe('William Turner');
    patchesBefore = scim.proxy.passed.PATCH ?? 0;
  } finally {
    scim.proxy.calm();
  }
  await eventually(() => shadowOf('will'), (s) => s?.pendingOperations.length === 0, "will's postponed change done");
  expect((await userNamed('will'))?.displayName).toBe('Captain Will Turner');
  expect((scim.proxy.passed.PATCH ?? 0) - patchesBefore).toBe(1);
  expect(await salesMembers()).toEqual(expect.arrayContaining([(await userNamed('will'))!.id]));
});

test("reconciliation reads the service in pages and creates again, in its Group, the account deleted behind Tally's back", async () => {
  const before = await shadowOf('will');
  expect((await scim.call('DELETE', `/Users/${before.primaryIdentifier}`)).status).toBe(204);
  const started = await startResourceRun(tally.services, { type: 'recon', resource: RESOURCE });
  const summary = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  expect(summary).toMatchObject({ errors: 0, stats: expect.objectContaining({ deleted: 1 }) });
  const again = await eventually(() => userNamed('will'), (u) => u !== undefined, "will's account created again");
  expect(again).toMatchObject({ displayName: 'Captain Will Turner', active: true });
  await eventually(() => salesMembers(), (m) => m.includes(again!.id), 'will in Sales again');
});

test('unassigning the role deletes the account, and the Group lists him no more', async () => {
  const id = (await userNamed('will'))!.id;
  await provisioned(unassignFromUser(tally.services, 'will', { role: 'SaaS user' }, 'user'));
  await eventually(() => userNamed('will'), (u) => u === undefined, "will's SCIM account deleted");
  expect(await salesMembers()).not.toContain(id);
});
