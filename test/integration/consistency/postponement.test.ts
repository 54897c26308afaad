/**
 * Postponing operations while the LDAP resource is down (the consistency mechanism's first layer), on a
 * private slapd this file stops and starts: add, modify, modify of a pending add, delete; the workflow is
 * findable by a visibility query; a resource coming back is noticed; a dead worker or a lost workflow
 * doesn't leave anything waiting forever.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { resumePendingOperations } from '../../../src/provisioning/resume-pending';
import type { ShadowDoc } from '../../../src/schema/objects';
import { eventually, recordHistories } from '../../support/tally-harness';
import { getStack } from '../../support/stack';
import { accesslogFor, ldapEntries, SHORT_RETRIES, startOutageStack, userYaml, type OutageStack } from './outage-stack';
import type { ProvisionAccountResult } from '../../../src/workflows/provision-account';

let s: OutageStack;

beforeAll(async () => {
  s = await startOutageStack('postpone');
}, 120_000);

afterAll(async () => {
  await s?.close();
});

async function onlyShadow(user: string, accept: (shadow: ShadowDoc) => boolean, what: string): Promise<ShadowDoc> {
  const shadows = await eventually(() => s.shadowsOf(user), (list) => list.length === 1 && accept(list[0]), what);
  return shadows[0];
}

const postponed = (type: string, minAttempts = 1) => (shadow: ShadowDoc) =>
  shadow.pendingOperations[0]?.type === type && shadow.pendingOperations[0].result.status === 'postponed' && shadow.pendingOperations[0].attemptNumber >= minAttempts;

async function createWhileUp(user: string, fullName: string): Promise<ShadowDoc> {
  await s.applyAndProvision(userYaml(s.resourceOid, user, fullName));
  return onlyShadow(user, (sh) => sh.exists && sh.pendingOperations.length === 0, `${user}'s account`);
}

test('add while down: the whole account waits in the shadow, the workflow is found as waiting-for-resource, the account is created when the resource is back', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'anne', 'Anne Bonny'));
  const waiting = await onlyShadow('anne', postponed('add'), "anne's postponed add");
  const op = waiting.pendingOperations[0];
  expect(waiting).toMatchObject({ exists: false, primaryIdentifier: null, dead: false, secondaryIdentifier: s.dnOf('anne') });
  expect(op.attributes).toMatchObject({ cn: ['Anne Bonny'], uid: ['anne'], sn: ['Bonny'] });
  expect(op.result.errorKind).toBe('communication');
  expect(op.result.message).toBeTruthy();

  const { client } = s.services;
  const found = await eventually(
    async () => {
      const list = [];
      for await (const wf of client.workflow.list({ query: `TallyState="waiting-for-resource" AND TallyShadow="${waiting.oid}"` })) list.push(wf);
      return list;
    },
    (list) => list.length === 1,
    'the waiting workflow in a visibility query',
  );
  expect(found[0].workflowId).toBe(`provision:${waiting.oid}`);
  expect(found[0].searchAttributes.TallyResource).toEqual([s.resourceOid]);
  expect(found[0].searchAttributes.TallyOperation).toEqual(['add']);
  const metadata = await client.workflow.getHandle(found[0].workflowId).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  expect(metadata.currentDetails).toMatch(/^waiting for Outage LDAP .* to come back: add postponed \(attempt \d+/);

  // `tally status` shows ops the same, from the command line.
  const status = await promisify(execFile)(path.join(__dirname, '..', '..', '..', 'bin', 'tally'), ['status', '--json'], { env: { ...process.env, ...s.env }, timeout: 60_000 });
  const mine = (JSON.parse(status.stdout) as Array<{ workflowId: string; state: string; details: string; resource: string }>).find((w) => w.workflowId === `provision:${waiting.oid}`);
  expect(mine).toMatchObject({ state: 'waiting-for-resource', resource: s.resourceOid });
  expect(mine!.details).toMatch(/to come back: add postponed/);

  await s.slapd.restart();
  await s.settled();
  const done = await onlyShadow('anne', (sh) => sh.exists, "anne's created account");
  const [entry] = await ldapEntries(s, '(uid=anne)');
  expect(entry.dn).toBe(s.dnOf('anne'));
  expect(entry.cn).toBe('Anne Bonny');
  expect(done.primaryIdentifier).toBe(entry.entryUUID);
  expect(done.pendingOperations).toEqual([]);
});

test('modify of an existing account while down: the delta waits as a pending modify and is applied when the resource is back', async () => {
  await createWhileUp('bart', 'Bart Roberts');
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'bart', 'Bart Black Roberts'));
  const waiting = await onlyShadow('bart', postponed('modify'), "bart's postponed modify");
  expect(waiting.pendingOperations).toHaveLength(1);
  expect(waiting.pendingOperations[0].delta).toEqual(expect.arrayContaining([{ path: 'cn', replace: ['Bart Black Roberts'] }]));

  await s.slapd.restart();
  await s.settled();
  const [entry] = await ldapEntries(s, '(uid=bart)');
  expect(entry.cn).toBe('Bart Black Roberts');
  expect(entry.sn).toBe('Black Roberts');
});

test('add and three modifies while down: the modifies are merged into the pending add, the resource sees exactly one add with the final values', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'calico', 'Calico Jack'));
  await onlyShadow('calico', postponed('add'), "calico's postponed add");
  for (const fullName of ['Calico Jack Rackham', 'Calico John Rackham', 'Captain John Rackham']) {
    await s.applyAndProvision(userYaml(s.resourceOid, 'calico', fullName));
    await onlyShadow('calico', (sh) => sh.pendingOperations[0]?.attributes?.cn?.[0] === fullName, `the pending add carrying ${fullName}`);
  }
  const waiting = await onlyShadow('calico', () => true, 'calico');
  expect(waiting.pendingOperations.map((op) => op.type)).toEqual(['add']);
  expect(waiting.pendingOperations[0].attributes).toMatchObject({ cn: ['Captain John Rackham'], givenName: ['Captain'], sn: ['John Rackham'] });

  await s.slapd.restart();
  await s.settled();
  const [entry] = await ldapEntries(s, '(uid=calico)');
  expect(entry).toMatchObject({ cn: 'Captain John Rackham', givenName: 'Captain', sn: 'John Rackham' });
  const log = await accesslogFor(s, s.dnOf('calico'));
  expect(log.map((r) => r.reqType)).toEqual(['add']);
  await recordHistories(getStack().temporal, { 'provision-account-postponed-add': `provision:${waiting.oid}` });
});

test('delete while down: the shadow is unlinked and dead until the resource confirms, then gone', async () => {
  const created = await createWhileUp('david', 'David Herriot');
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'david', 'David Herriot', false));
  const dead = await eventually(
    () => s.services.repo.shadows.get(created.oid),
    (sh) => !!sh && postponed('delete')(sh),
    "david's postponed delete",
  );
  expect(dead).toMatchObject({ dead: true, ownerRef: null });
  expect((await s.services.repo.users.byRef('david'))!.linkRef).not.toContain(created.oid);

  await s.slapd.restart();
  await eventually(() => s.services.repo.shadows.get(created.oid), (sh) => sh === null, "david's shadow removed");
  expect(await ldapEntries(s, '(uid=david)')).toEqual([]);
  expect((await accesslogFor(s, s.dnOf('david'))).map((r) => r.reqType)).toEqual(['add', 'delete']);
});

test('tally shadows --pending --json lists pending operations with their error and attempt count', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'gina', 'Gina Grey'));
  await onlyShadow('gina', postponed('add', 2), "gina's add postponed twice");
  const cli = await promisify(execFile)(path.join(__dirname, '..', '..', '..', 'bin', 'tally'), ['shadows', '--pending', '--json'], {
    env: { ...process.env, ...s.env },
    timeout: 60_000,
  });
  const listed = JSON.parse(cli.stdout) as ShadowDoc[];
  const gina = listed.find((sh) => sh.secondaryIdentifier === s.dnOf('gina'));
  expect(gina?.pendingOperations[0]).toMatchObject({ type: 'add', result: { status: 'postponed', errorKind: 'communication' } });
  expect(gina!.pendingOperations[0].attemptNumber).toBeGreaterThanOrEqual(2);
  expect(gina!.pendingOperations[0].result.message).toBeTruthy();
  expect(listed.every((sh) => sh.pendingOperations.length > 0)).toBe(true);
  await s.slapd.restart();
  await s.settled();
});

test('50 accounts added while the server is stopped all exist exactly once after it starts, with no pending operations left', async () => {
  const names = Array.from({ length: 50 }, (_, i) => `mass${String(i).padStart(2, '0')}`);
  await s.slapd.stop();
  await s.applyAndProvision(names.map((n) => userYaml(s.resourceOid, n, `Mass Sailor${n}`)).join('---\n'));
  await eventually(
    () => s.inspect.shadows.count({ secondaryIdentifier: { $regex: '^uid=mass' }, 'pendingOperations.0.result.status': 'postponed' }),
    (n) => n === 50,
    '50 postponed adds',
  );
  const started = Date.now();
  await s.slapd.restart();
  await s.settled(120_000);
  const recoveredMs = Date.now() - started;
  console.log(`consistency: 50 postponed adds completed ${recoveredMs} ms after slapd came back`);

  const entries = await ldapEntries(s, '(uid=mass*)');
  expect(entries.map((e) => e.dn).sort()).toEqual(names.map((n) => s.dnOf(n)));
  const shadows = await s.inspect.shadows.find({ secondaryIdentifier: { $regex: '^uid=mass' } }, { projection: { _id: 0 } });
  expect(shadows).toHaveLength(50);
  expect(shadows.every((sh) => sh.exists && sh.pendingOperations.length === 0 && !!sh.primaryIdentifier)).toBe(true);
}, 180_000);

test('the worker dies while operations wait: a new worker on the same task queue finishes them', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'edward', 'Edward Teach'));
  await onlyShadow('edward', postponed('add'), "edward's postponed add");
  await s.stopWorker();
  await s.slapd.restart();
  await s.startWorker();
  await s.settled();
  const [entry] = await ldapEntries(s, '(uid=edward)');
  expect(entry.cn).toBe('Edward Teach');
});

test('nothing waits forever: resumePendingOperations restarts the workflow of a shadow whose workflow was lost', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'fiona', 'Fiona Flint'));
  const waiting = await onlyShadow('fiona', postponed('add'), "fiona's postponed add");
  const handle = s.services.client.workflow.getHandle(`provision:${waiting.oid}`);
  await handle.terminate('simulating a lost workflow');
  await s.slapd.restart();

  const resumed = await resumePendingOperations(s.services.syncDeps, s.resourceOid);
  expect(resumed.shadowOids).toEqual([waiting.oid]);
  await s.settled();
  const [entry] = await ldapEntries(s, '(uid=fiona)');
  expect(entry.cn).toBe('Fiona Flint');
  expect(await handle.result()).toMatchObject({ done: 1, failed: [] });
});

test("a worker that died before handing a postponed operation over: the user's recompute, which its workflow repeats, starts the operation's workflow", async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'gwen', 'Gwen Gold'));
  const waiting = await onlyShadow('gwen', postponed('add'), "gwen's postponed add");
  const handle = s.services.client.workflow.getHandle(`provision:${waiting.oid}`);
  // As if the worker had died between storing the postponement and starting this workflow.
  await handle.terminate('simulating a hand-over lost with its worker');
  const user = await s.services.repo.users.byRef('gwen');
  const recompute = await s.services.workflows.requestUserProvisioning({ userOid: user!.oid, channel: 'user' });
  await s.services.client.workflow.getHandle(recompute).result();
  expect((await s.services.client.workflow.getHandle(`provision:${waiting.oid}`).describe()).status.name).toBe('RUNNING');

  await s.slapd.restart();
  await s.settled();
  const [entry] = await ldapEntries(s, '(uid=gwen)');
  expect(entry.cn).toBe('Gwen Gold');
});

test('with maximumAttempts the workflow gives up but the operation stays in the shadow for a later resume', async () => {
  await s.reconfigure({ ...SHORT_RETRIES, maximumAttempts: 2 });
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'olga', 'Olga Oar'));
  const waiting = await onlyShadow('olga', postponed('add', 2), "olga's add postponed twice");
  const result = (await s.services.client.workflow.getHandle(`provision:${waiting.oid}`).result()) as ProvisionAccountResult;
  expect(result).toMatchObject({ gaveUp: true, done: 0 });
  await onlyShadow('olga', (sh) => sh.pendingOperations[0]?.attemptNumber === 2 && sh.pendingOperations[0].result.status === 'postponed', 'the op kept');

  await s.reconfigure(SHORT_RETRIES);
  await s.slapd.restart();
  await resumePendingOperations(s.services.syncDeps, s.resourceOid);
  await s.settled();
  expect((await ldapEntries(s, '(uid=olga)'))[0].cn).toBe('Olga Oar');
});
