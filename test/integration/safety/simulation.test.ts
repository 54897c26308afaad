/**
 * Simulations on the real servers: a simulated import or reconciliation reads the directory and the
 * repository and writes nothing to them (the accesslog, the PostgreSQL table and every MongoDB collection
 * but the simulation's own are the same after it), and it says what the real run then does.
 */
import { Attribute, Change, type Client as LdapClient } from 'ldapts';
import type { Client as PgClient } from 'pg';
import { applyConfig } from '../../../src/admin/apply-config';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { showSimulation, startSimulatedRun } from '../../../src/admin/simulations';
import type { StoredSimulationItem } from '../../../src/repository/repository';
import type { UserDoc } from '../../../src/schema/objects';
import { withConcurrency } from '../../../src/support/concurrency';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { writtenState } from '../../support/written-state';
import { runTallyCli } from '../../support/tally-cli';
import { eventually, listenApi, recordHistories, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP = 'OpenDJ LDAP directory';
const ACCOUNTS = 1_000;

let tally: TallyHarness;
let resources: ExampleResources;
let ldap: LdapClient;
let pg: PgClient;
const uidOf = (i: number) => `sim${String(i).padStart(4, '0')}`;

const everything = () => writtenState(tally, resources);

async function addPeople(from: number, to: number): Promise<void> {
  const indexes = Array.from({ length: to - from }, (_, k) => from + k);
  await withConcurrency(indexes, 16, (i) =>
    ldap.add(resources.accountDn(uidOf(i)), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: uidOf(i), cn: `Sim ${i}`, sn: `${i}`, givenName: 'Sim' }),
  );
}

async function simulate(type: 'recon' | 'import') {
  const started = await startSimulatedRun(tally.services, { type, resource: LDAP });
  const summary = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  expect(summary.simulation).toBeDefined();
  return { summary, view: await showSimulation(tally.services, summary.simulation!, { limit: 10_000 }) };
}

async function rowsByLogin(): Promise<Map<string, Record<string, unknown>>> {
  const { rows } = await pg.query(`SELECT * FROM ${resources.table}`);
  return new Map(rows.map((r: Record<string, unknown>) => [String(r.login), r]));
}

async function usersByName(): Promise<Map<string, UserDoc>> {
  return new Map((await tally.inspect.users.find({})).map((u) => [u.name, u as UserDoc]));
}

beforeAll(async () => {
  tally = await startTally('simulation');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  ({ ldap, pg } = resources);
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  await addPeople(0, ACCOUNTS);
}, 300_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test(`a simulated import of ${ACCOUNTS} accounts changes nothing anywhere and reports ${ACCOUNTS} users and accounts to add`, async () => {
  const before = await everything();
  expect(before.accesslog).toBeGreaterThanOrEqual(ACCOUNTS); // the people's own entries: the filter sees the container
  const run = await runTallyCli(tally.env, ['import', LDAP, '--simulate']);
  expect(run.stderr).toMatch(/started simulated importFromResource simulate-import:/);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^simulation \S+ of the importFromResource of OpenDJ LDAP directory finished: nothing was changed; it would do:\n {2}objects: 1000 looked at, 0 unchanged, 0 errors\n {2}users: 1000 added/);
  const id = /^simulation (\S+)/.exec(run.stdout)![1];
  const json = await runTallyCli(tally.env, ['simulation', 'show', id, '--json', '--limit', '1']);
  const simulation = JSON.parse(json.stdout) as Awaited<ReturnType<typeof showSimulation>>;
  expect(simulation).toMatchObject({ type: 'import', state: 'finished', resource: LDAP });
  // Each new user's MyLittleAD account is added; each directory entry gets Tally's description.
  expect(simulation.counts).toMatchObject({ usersAdded: ACCOUNTS, accountsAdded: ACCOUNTS, accountsDeleted: 0, accountsModified: ACCOUNTS, errors: 0 });
  expect(simulation.counts.transitions).toEqual({ 'unmatched -> linked': ACCOUNTS });
  expect(await everything()).toEqual(before);

  // Per object: the new user and his MyLittleAD account (the template's), in pages.
  const shown = await runTallyCli(tally.env, ['simulation', 'show', simulation.id, '--only', 'adds', '--limit', '3']);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/users: 1000 added/);
  expect(shown.stdout).toMatch(/unmatched -> linked: 1000/);
  expect(shown.stdout).toMatch(/\(unmatched -> linked\): addFocus: user sim\d{4} created\n {2}user sim\d{4}: add .*fullName = Sim \d+/);
  expect(shown.stdout).toMatch(/ {2}add MyLittleAD account \S+ .*login=sim\d{4}/);
  expect(shown.stdout).toMatch(/more: tally simulation show \S+ --after '[^']+' --only adds/);
  const { api, url } = await listenApi(tally, 'simulation-token');
  try {
    const first = await fetch(`${url}/api/v1/simulations/${simulation.id}?only=adds&limit=400`, { headers: { authorization: 'Bearer simulation-token' } });
    expect(first.status).toBe(200);
    const page = (await first.json()) as { items: StoredSimulationItem[]; next?: string };
    expect(page.items).toHaveLength(400);
    const rest = await fetch(`${url}/api/v1/simulations/${simulation.id}?only=adds&limit=1000&after=${encodeURIComponent(page.next!)}`, { headers: { authorization: 'Bearer simulation-token' } });
    const second = (await rest.json()) as { items: StoredSimulationItem[]; next?: string };
    expect(second.next).toBeUndefined();
    expect(new Set([...page.items, ...second.items].map((i) => i.object)).size).toBe(ACCOUNTS);
    const bad = await fetch(`${url}/api/v1/simulations/${simulation.id}?only=everything`, { headers: { authorization: 'Bearer simulation-token' } });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${url}/api/v1/simulations/no-such-simulation`, { headers: { authorization: 'Bearer simulation-token' } });
    expect(missing.status).toBe(404);
  } finally {
    await api.close();
  }
}, 300_000);

test('a simulated reconciliation after changes behind Tally\'s back predicts exactly what the real one then does', async () => {
  const imported = await startResourceRun(tally.services, { type: 'import', resource: LDAP });
  await waitForRun(tally.services, imported.workflowId, () => undefined, 200);
  await eventually(() => tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } }), (n) => n === 0, 'the import\'s accounts provisioned', 120_000);
  await eventually(async () => (await rowsByLogin()).size, (n) => n === ACCOUNTS, 'a MyLittleAD row per user', 120_000);

  // Behind Tally's back: 5 renamed people (their cn flows in, and on to MyLittleAD), 3 new ones, 2 gone.
  for (let i = 0; i < 5; i++) {
    await ldap.modify(resources.accountDn(uidOf(i)), [new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [`Captain ${i}`] }) })]);
  }
  await addPeople(ACCOUNTS, ACCOUNTS + 3);
  for (const i of [10, 11]) await ldap.del(resources.accountDn(uidOf(i)));

  const before = await everything();
  const { view } = await simulate('recon');
  expect(await everything()).toEqual(before);
  await recordHistories(tally.stack.temporal, { 'reconcile-simulated': view.workflowId });
  // 5 MyLittleAD rows renamed; the 3 new directory entries get their description from Tally.
  expect(view.counts).toMatchObject({ objects: ACCOUNTS + 3, unchanged: ACCOUNTS + 3 - 8, usersAdded: 3, usersModified: 5, accountsAdded: 3, accountsModified: 8, errors: 0 });
  expect(view.counts.transitions).toMatchObject({ 'unmatched -> linked': 3, 'linked -> linked': 5, 'deleted -> deleted': 2 });

  const usersBefore = await usersByName();
  const rowsBefore = await rowsByLogin();
  const started = await startResourceRun(tally.services, { type: 'recon', resource: LDAP });
  const real = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  expect(real.errors).toBe(0);
  await eventually(() => tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } }), (n) => n === 0, 'the reconciliation\'s operations done', 120_000);
  const usersAfter = await usersByName();
  const rowsAfter = await rowsByLogin();

  // Users: those predicted added are the new ones; the predicted property values are theirs now.
  const predictedUsers = view.items.flatMap((i) => i.users);
  expect(predictedUsers.filter((u) => u.change === 'add').map((u) => u.name).sort()).toEqual([...usersAfter.keys()].filter((n) => !usersBefore.has(n)).sort());
  for (const user of predictedUsers.filter((u) => u.change === 'modify')) {
    for (const delta of user.deltas) expect([usersAfter.get(user.name)![delta.path as keyof UserDoc]].flat()).toEqual(delta.replace);
  }
  const changedUsers = [...usersAfter.values()].filter((u) => usersBefore.has(u.name) && usersBefore.get(u.name)!.fullName !== u.fullName).map((u) => u.name);
  expect(predictedUsers.filter((u) => u.change === 'modify').map((u) => u.name).sort()).toEqual(changedUsers.sort());

  // MyLittleAD: the rows predicted added are the new rows, with the predicted values; the predicted modifications are what changed.
  const accounts = view.items.flatMap((i) => i.accounts).filter((a) => a.resource === 'MyLittleAD');
  const addedRows = [...rowsAfter.keys()].filter((login) => !rowsBefore.has(login)).sort();
  expect(accounts.filter((a) => a.operation === 'add').map((a) => a.attributes!.login[0]).sort()).toEqual(addedRows);
  for (const add of accounts.filter((a) => a.operation === 'add')) {
    const row = rowsAfter.get(String(add.attributes!.login[0]))!;
    for (const [column, values] of Object.entries(add.attributes!)) if (column in row) expect(String(row[column])).toBe(String(values[0]));
  }
  const modifiedRows = [...rowsAfter.entries()].filter(([login, row]) => rowsBefore.has(login) && JSON.stringify(rowsBefore.get(login)) !== JSON.stringify(row));
  const modifies = accounts.filter((a) => a.operation === 'modify');
  expect(modifies).toHaveLength(modifiedRows.length);
  for (const modify of modifies) {
    const row = [...rowsAfter.values()].find((r) => String(r.name) === modify.account || String(r.login) === modify.account)!;
    for (const delta of modify.deltas!) expect(String(row[delta.path])).toBe(String(delta.replace![0]));
  }
  // The directory: the predicted modifications are there now.
  const directory = view.items.flatMap((i) => i.accounts).filter((a) => a.resource === LDAP);
  expect(directory.map((a) => a.operation)).toEqual(['modify', 'modify', 'modify']);
  for (const modify of directory) {
    const { searchEntries } = await ldap.search(modify.account, { scope: 'base', attributes: modify.deltas!.map((d) => d.path) });
    for (const delta of modify.deltas!) expect([searchEntries[0][delta.path]].flat()).toEqual(delta.replace);
  }
}, 300_000);
