/**
 * `tally apply --simulate` on the real servers: the configuration files are applied and the users the
 * real apply recomputes are recomputed, over a sandbox; the directory, the table and the repository are
 * the same after it, no workflow is started, and what it predicts is what the real `tally apply` then does.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Entry } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { showSimulation, type SimulationView } from '../../../src/admin/simulations';
import type { SimulatedAccountOperation } from '../../../src/model/simulation';
import { writeConfigDir } from '../../support/config-dir';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { runTallyCli, tallyCliOk } from '../../support/tally-cli';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../../support/tally-harness';
import { writtenState } from '../../support/written-state';

const LDAP = 'OpenDJ LDAP directory';
const JACK = 'c0c010c0-d34d-b33f-f00d-111111111111';

let tally: TallyHarness;
let resources: ExampleResources;

const example = (file: string) => readFileSync(path.join(resources.examples, file), 'utf8');
const everything = () => writtenState(tally, resources);

/** Workflows of this Tally started since `since` (the real apply starts its users' provisionUser). */
async function workflowsStartedSince(since: Date): Promise<string[]> {
  const ids: string[] = [];
  const query = `TaskQueue="${tally.settings.TALLY_TASK_QUEUE}" AND StartTime > "${since.toISOString()}"`;
  for await (const workflow of tally.services.client.workflow.list({ query })) ids.push(workflow.workflowId);
  return ids;
}

async function entry(uid: string): Promise<Entry | undefined> {
  const { searchEntries } = await resources.ldap.search(resources.base, { scope: 'one', filter: `(uid=${uid})`, attributes: ['*'] });
  return searchEntries[0];
}

async function row(login: string): Promise<Record<string, unknown> | undefined> {
  return (await resources.pg.query(`SELECT * FROM ${resources.table} WHERE login = $1`, [login])).rows[0];
}

const pendingOperations = () => tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } });

/** `tally apply --simulate` of `dir`: its printed summary, and the simulation with every item. */
async function simulateApply(dir: string, ...options: string[]): Promise<{ stdout: string; view: SimulationView }> {
  const run = await runTallyCli(tally.env, ['apply', '--simulate', '-f', dir, ...options]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const id = /^simulation (\S+) of tally apply finished: nothing was stored or changed; it would do:\n/.exec(run.stdout)?.[1];
  expect(id).toBeDefined();
  return { stdout: run.stdout, view: await showSimulation(tally.services, id!, { limit: 100 }) };
}

/** The predicted operations of one resource. */
const on = (view: SimulationView, resource: string): SimulatedAccountOperation[] => view.items.flatMap((i) => i.accounts).filter((a) => a.resource === resource);

beforeAll(async () => {
  tally = await startTally('apply-simulation');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  await applyAndProvision(tally.services, [path.join(resources.examples, 'users')]);
  await eventually(pendingOperations, (n) => n === 0, 'jack\'s accounts provisioned');
  expect((await entry('jack'))?.title).toBe('Pirate');
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('a new user file: his add and his accounts\' adds are predicted, nothing is created; kept for --keep-for', async () => {
  const dir = writeConfigDir({
    'will.yaml': 'kind: User\nname: will\ngivenName: Will\nfamilyName: Turner\nassignment:\n  - targetRef: Pirate\n',
  });
  const before = await everything();
  const { stdout, view } = await simulateApply(dir, '--keep-for', '2h');
  expect(await everything()).toEqual(before);
  expect(await entry('will')).toBeUndefined();
  expect(await tally.services.repo.users.byName('will')).toBeNull();
  expect(stdout).toMatch(/\n {2}created {3}User will /);
  expect(view.counts).toMatchObject({ objects: 1, usersAdded: 1, accountsAdded: 1, accountsModified: 0, errors: 0 });
  expect(Math.abs(Date.parse(view.expiresAt) - Date.parse(view.startedAt) - 2 * 3_600_000)).toBeLessThan(60_000);
  // The template gives his fullName (its MyLittleAD assignment is weak: he has the role's); the role his directory entry.
  expect(view.items).toMatchObject([{ object: 'will', users: [{ name: 'will', change: 'add', deltas: expect.arrayContaining([{ path: 'fullName', replace: ['Will Turner'] }]) }] }]);
  const [directory] = on(view, LDAP);
  expect(directory).toMatchObject({ operation: 'add', account: resources.accountDn('will'), attributes: { title: ['Pirate'], cn: ['Will Turner'] } });
  expect(on(view, 'MyLittleAD')).toEqual([]);

  const shown = await tallyCliOk(tally.env, ['simulation', 'show', view.id, '--only', 'adds']);
  expect(shown).toMatch(/^simulation simulate-apply:\S+: apply, finished;/);
  expect(shown).toMatch(/\nwill\n {2}user will: add .*fullName = Will Turner/);
  expect(shown).toMatch(new RegExp(` {2}add ${LDAP} account ${resources.accountDn('will')} .*title=Pirate`));

  // The real apply creates what was predicted.
  await tallyCliOk(tally.env, ['apply', '-f', dir]);
  const created = await eventually(() => entry('will'), (e) => !!e, 'will\'s directory entry');
  for (const [attribute, values] of Object.entries(directory.attributes!)) {
    if (!attribute.includes('/') && attribute in created!) expect([created![attribute]].flat()).toEqual(values);
  }
  await eventually(pendingOperations, (n) => n === 0, 'will\'s accounts provisioned');
  expect(await row('will')).toBeUndefined();
}, 180_000);

test('a changed role and user file: the simulation changes nothing, starts nothing, and predicts what the real apply then does', async () => {
  const dir = writeConfigDir({
    'pirate.yaml': example('roles/pirate.yaml').replace('expression: { value: Pirate }', 'expression: { value: Captain }'),
    'jack.yaml': example('users/jack.yaml').replace('fullName: Jack Sparrow', 'fullName: Captain Jack Sparrow'),
  });
  const before = await everything();
  const since = new Date();
  const { stdout, view } = await simulateApply(dir);
  expect(await everything()).toEqual(before);
  expect(await workflowsStartedSince(since)).toEqual([]);
  expect(stdout).toMatch(/\n {2}updated {3}Role Pirate \(\S+\) .*pirate\.yaml\n/);
  expect(stdout).toMatch(/\n {2}updated {3}User jack \(\S+\) .*jack\.yaml\n/);
  expect(stdout).toMatch(/ {2}objects: 1 looked at, 0 unchanged, 0 errors\n {2}users: 0 added, 1 modified, 0 deleted\n {2}accounts: 0 added, 1 modified, 0 deleted/);

  // Jack: his fullName from his file; his directory entry gets the role's new title (strong) and the new cn.
  expect(view).toMatchObject({ type: 'apply', state: 'finished' });
  expect(view.items).toHaveLength(1);
  expect(view.items[0]).toMatchObject({ object: 'jack', users: [{ oid: JACK, change: 'modify', deltas: [{ path: 'fullName', replace: ['Captain Jack Sparrow'] }] }] });
  const [directory] = on(view, LDAP);
  expect(directory).toMatchObject({ operation: 'modify', account: resources.accountDn('jack') });
  expect(directory.deltas).toEqual(expect.arrayContaining([{ path: 'title', replace: ['Captain'] }, { path: 'cn', replace: ['Captain Jack Sparrow'] }]));
  expect(on(view, 'MyLittleAD')).toEqual([]);

  // The real apply of the same files does what was predicted, and no more.
  await tallyCliOk(tally.env, ['apply', '-f', dir]);
  const after = await eventually(() => entry('jack'), (e) => e?.title === 'Captain', 'jack\'s new title in the directory');
  await eventually(pendingOperations, (n) => n === 0, 'jack\'s accounts provisioned');
  for (const delta of directory.deltas!) expect([after![delta.path]].flat()).toEqual(delta.replace);
  expect(await row('jack')).toBeUndefined();
  expect((await tally.services.repo.users.get(JACK))?.fullName).toBe('Captain Jack Sparrow');
  expect(await workflowsStartedSince(since)).toContain(`user:${JACK}`);
}, 180_000);

test('a changed role alone: as the real apply, the simulation recomputes none of its holders', async () => {
  // The real apply recomputes the users of its files and the roles projected to groups of their own; the
  // Pirate role's holders keep its old title until they are recomputed for another reason.
  const dir = writeConfigDir({ 'pirate.yaml': example('roles/pirate.yaml').replace('expression: { value: Pirate }', 'expression: { value: Corsair }') });
  const before = await everything();
  const { stdout, view } = await simulateApply(dir);
  expect(await everything()).toEqual(before);
  expect(stdout).toMatch(/\n {2}updated {3}Role Pirate /);
  expect(view.counts).toMatchObject({ objects: 0, usersModified: 0, accountsModified: 0, errors: 0 });
  expect(view.items).toEqual([]);
}, 60_000);
