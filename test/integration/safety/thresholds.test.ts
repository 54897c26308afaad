/**
 * Thresholds on the real servers: a reconciliation that would delete more accounts than its resource's
 * `safety.maxDeletes` deletes none of them, holds (TallyState=awaiting-approval, the held objects shown as a
 * simulation) and waits; approved, it deletes them all; rejected, none.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client as PgClient } from 'pg';
import { applyConfig } from '../../../src/admin/apply-config';
import { runProgress, startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { liveSyncStatuses, startLiveSync } from '../../../src/admin/live-sync';
import { withConcurrency } from '../../../src/support/concurrency';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import type { RunProgress } from '../../../src/workflows/workflow-ids';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { runTallyCli } from '../../support/tally-cli';
import { eventually, listenApi, recordHistories, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP = 'OpenDJ LDAP directory';
const PEOPLE = 150;

let tally: TallyHarness;
let resources: ExampleResources;
let pg: PgClient;
const uidOf = (i: number) => `held${String(i).padStart(3, '0')}`;

const rows = async () => Number((await pg.query(`SELECT count(*) AS n FROM ${resources.table}`)).rows[0].n);
const users = () => tally.inspect.users.count({});

async function deletePeople(from: number, to: number): Promise<void> {
  const indexes = Array.from({ length: to - from }, (_, k) => from + k);
  await withConcurrency(indexes, 8, (i) => resources.ldap.del(resources.accountDn(uidOf(i))));
}

/** Starts a reconciliation and waits until it holds. */
async function heldReconciliation(): Promise<{ workflowId: string; progress: RunProgress }> {
  const started = await startResourceRun(tally.services, { type: 'recon', resource: LDAP });
  const progress = await eventually(() => runProgress(tally.services, started.workflowId), (p) => p?.phase === 'awaiting-approval', 'the reconciliation to hold', 120_000);
  return { workflowId: started.workflowId, progress: progress! };
}

beforeAll(async () => {
  tally = await startTally('thresholds');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  ({ pg } = resources);
  // A person gone from the directory is deleted (with his accounts); at most 50 account deletions a run.
  const ldapYaml = path.join(resources.examples, 'resources', 'ldap.yaml');
  writeFileSync(
    ldapYaml,
    `${readFileSync(ldapYaml, 'utf8').replace('{ situation: deleted, action: { handler: unlink } }', '{ situation: deleted, action: { handler: deleteFocus } }')}safety: { maxDeletes: 50 }\n`,
  );
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  await withConcurrency(
    Array.from({ length: PEOPLE }, (_, i) => i),
    16,
    (i) => resources.ldap.add(resources.accountDn(uidOf(i)), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: uidOf(i), cn: `Held ${i}`, sn: `${i}` }),
  );
  const imported = await startResourceRun(tally.services, { type: 'import', resource: LDAP });
  await waitForRun(tally.services, imported.workflowId, () => undefined, 200);
  await eventually(rows, (n) => n === PEOPLE, 'a MyLittleAD row per person', 120_000);
}, 300_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('a reconciliation that would delete 60 accounts with maxDeletes 50 deletes none until approved, then all 60', async () => {
  await deletePeople(0, 60);
  const { workflowId, progress } = await heldReconciliation();
  expect(progress.awaitingApproval).toEqual({ reasons: ['60 deletes > maxDeletes 50'], held: 60 });
  const described = await tally.services.client.workflow.getHandle(workflowId).describe();
  expect(described.typedSearchAttributes.get(searchAttributes.state)).toBe('awaiting-approval');
  const status = await eventually(
    async () => JSON.parse((await runTallyCli(tally.env, ['status', '--json'])).stdout) as Array<{ workflowId: string; state: string; details: string }>,
    (listed) => listed.some((o) => o.workflowId === workflowId),
    'tally status to list the held run',
  );
  expect(status.find((o) => o.workflowId === workflowId)).toMatchObject({ state: 'awaiting-approval', details: expect.stringMatching(/holds 60 objects, nothing of them done: 60 deletes > maxDeletes 50.*tally run approve/) });
  // Nothing of it is done while it waits.
  await new Promise((r) => setTimeout(r, 1500));
  expect(await rows()).toBe(PEOPLE);
  expect(await users()).toBe(PEOPLE);

  // What it holds, as a simulation under the run's id.
  const shown = await runTallyCli(tally.env, ['simulation', 'show', progress.runId, '--only', 'deletes', '--limit', '100']);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toMatch(/accounts: 0 added, 0 modified, 60 deleted/);
  expect(shown.stdout.match(/^ {2}delete MyLittleAD account cn=held\d{3},o=Acme$/gm)).toHaveLength(60);

  const approved = await runTallyCli(tally.env, ['run', 'approve', workflowId, '--reason', 'the 60 left the company']);
  expect(approved.stdout).toMatch(/approved: it does the operations it held/);
  const summary = await waitForRun(tally.services, workflowId, () => undefined, 200);
  expect(summary.decision).toMatchObject({ approved: true, reason: 'the 60 left the company' });
  expect(summary.stats).toMatchObject({ held: 60, heldDeletes: 60, heldDone: 60 });
  await recordHistories(tally.stack.temporal, { 'reconcile-held-approved': workflowId });
  await eventually(rows, (n) => n === PEOPLE - 60, 'the 60 MyLittleAD rows deleted', 120_000);
  await eventually(users, (n) => n === PEOPLE - 60, 'the 60 users deleted', 120_000);

  const again = await runTallyCli(tally.env, ['run', 'approve', workflowId]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/is not waiting for approval/);
}, 300_000);

test('a rejected one deletes none; within the threshold nothing is held', async () => {
  await deletePeople(60, 120);
  const { workflowId } = await heldReconciliation();
  const { api, url } = await listenApi(tally, 'thresholds-token');
  try {
    const answer = await fetch(`${url}/api/v1/runs/${encodeURIComponent(workflowId)}/reject`, {
      method: 'POST',
      headers: { authorization: 'Bearer thresholds-token', 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'ops', reason: 'not expected' }),
    });
    expect(answer.status).toBe(200);
  } finally {
    await api.close();
  }
  const summary = await waitForRun(tally.services, workflowId, () => undefined, 200);
  expect(summary.decision).toMatchObject({ approved: false, by: 'ops' });
  expect(summary.stats).toMatchObject({ held: 60, rejected: 60 });
  await recordHistories(tally.stack.temporal, { 'reconcile-held-rejected': workflowId });
  const run = (await tally.services.repo.runs.list({ limit: 1 }))[0];
  expect(run.message).toMatch(/rejected by ops \(not expected\): the 60 held objects were not synchronized/);
  expect(await rows()).toBe(PEOPLE - 60);
  expect(await users()).toBe(PEOPLE - 60);

  // The same run with the threshold raised for it alone goes through.
  const started = await startResourceRun(tally.services, { type: 'recon', resource: LDAP, safety: { maxDeletes: 100 } });
  const through = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  expect(through.decision).toMatchObject({ approved: true, by: 'within the thresholds' });
  await eventually(rows, (n) => n === PEOPLE - 120, 'the other 60 rows deleted', 120_000);
}, 300_000);

test('live sync: a burst of deletions past maxDeletes in an hour holds (the position kept) and goes on when approved', async () => {
  // The directory's own threshold for this test: 5 deletions an hour.
  const ldapYaml = path.join(resources.examples, 'resources', 'ldap.yaml');
  writeFileSync(ldapYaml, readFileSync(ldapYaml, 'utf8').replace('safety: { maxDeletes: 50 }', 'safety: { maxDeletes: 5 }'));
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  const started = await startLiveSync(tally.services, LDAP);
  await eventually(() => liveSyncStatuses(tally.services, LDAP), (l) => (l[0].status?.polls ?? 0) > 0 && l[0].token !== null, 'live sync polling');
  const before = await rows();

  await deletePeople(120, 128);
  const held = await eventually(() => liveSyncStatuses(tally.services, LDAP), (l) => l[0].status?.state === 'awaiting-approval', 'live sync to hold', 120_000);
  const { awaitingApproval } = held[0].status!;
  expect(awaitingApproval!.reasons[0]).toMatch(/^\d+ deletes > maxDeletes 5 in an hour$/);
  // Never more than 5 deletions without approval: the changes not held are applied, the rest held, the position before them.
  const deletedBefore = 8 - awaitingApproval!.held;
  expect(deletedBefore).toBeLessThanOrEqual(5);
  await eventually(rows, (n) => before - n === deletedBefore, `the ${deletedBefore} deletions not held done`);
  const token = held[0].token;
  await new Promise((r) => setTimeout(r, 1500));
  expect(before - (await rows())).toBe(deletedBefore);
  expect((await liveSyncStatuses(tally.services, LDAP))[0].token).toBe(token);
  const status = await runTallyCli(tally.env, ['livesync', 'status', LDAP]);
  expect(status.stdout).toMatch(new RegExp(`waits for approval: ${awaitingApproval!.held} objects held, \\d+ deletes > maxDeletes 5 in an hour; see them: tally simulation show livesync-hold:`));
  const shown = await runTallyCli(tally.env, ['simulation', 'show', awaitingApproval!.simulation, '--only', 'deletes']);
  expect(shown.stdout.match(/^ {2}delete MyLittleAD account/gm)).toHaveLength(awaitingApproval!.held);

  const approved = await runTallyCli(tally.env, ['run', 'approve', started.workflowId]);
  expect(approved.code).toBe(0);
  await eventually(rows, (n) => n === before - 8, 'all 8 MyLittleAD rows deleted', 120_000);
  const after = await eventually(() => liveSyncStatuses(tally.services, LDAP), (l) => l[0].status?.state === 'polling' && l[0].token !== token, 'live sync polling past them');
  expect(after[0].status!.lastDecision).toMatchObject({ approved: true });
  await recordHistories(tally.stack.temporal, { 'live-sync-held-approved': started.workflowId });
}, 300_000);
