/**
 * A resource's `reconciliation.schedule` as an operator uses it (the real bin/tally against a real Tally):
 * `tally apply` creates, updates and removes the resource's Temporal Schedule, `tally schedules` lists it,
 * and the schedule starts `reconcileResource` on the resource.
 */
import { ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { runTallyCli } from '../../support/tally-cli';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { Client as LdapClient } from 'ldapts';
import type { ReconciliationSchedule, ScheduleChange } from '../../../src/admin/reconciliation-schedules';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const resourceOid = randomUUID();
const scheduleId = `reconcile-schedule:${resourceOid}`;
/** Another Tally's schedule in the same Temporal namespace (another task queue): never Tally's to remove here. */
const foreignScheduleId = `reconcile-schedule:${randomUUID()}`;
const ou = `sched-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;
let tally: TallyHarness;
let ldap: LdapClient;

const tallyCli = (args: string[]) => runTallyCli(tally.env, args);

/** `tally apply -f` of a directory holding only this resource, with these `reconciliation` settings (none: no key). */
async function applyResource(reconciliation?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-schedules-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapResourceYaml({ oid: resourceOid, name: 'Scheduled LDAP', ldap: tally.stack.ldap, base, tail: reconciliation ? `reconciliation: ${reconciliation}\n` : '' }),
  );
  return tallyCli(['apply', '-f', dir]);
}

function describe(id: string): Promise<ScheduleDescription | undefined> {
  return tally.services.client.schedule
    .getHandle(id)
    .describe()
    .catch((e: unknown) => {
      if (e instanceof ScheduleNotFoundError) return undefined;
      throw e;
    });
}

beforeAll(async () => {
  tally = await startTally('schedules');
  ldap = new LdapClient({ url: tally.stack.ldap.url });
  await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
}, 120_000);

afterAll(async () => {
  for (const id of [scheduleId, foreignScheduleId]) {
    if (tally && (await describe(id))) await tally.services.client.schedule.getHandle(id).delete();
  }
  await ldap?.del(base).catch(() => undefined);
  await ldap?.unbind();
  await tally?.stop();
});

test('apply creates the schedule: the cron, reconcileResource of the resource on our task queue, overlapping runs skipped; tally schedules lists it', async () => {
  const applied = await applyResource('{ schedule: "0 2 * * *", pageSize: 50 }');
  expect(applied).toMatchObject({ code: 0 });
  expect(applied.stdout).toContain(`schedule  created  ${scheduleId}  "0 2 * * *"  Scheduled LDAP`);

  const schedule = await describe(scheduleId);
  expect(schedule?.action).toMatchObject({
    type: 'startWorkflow',
    workflowType: 'reconcileResource',
    workflowId: `recon:${resourceOid}`,
    taskQueue: tally.settings.TALLY_TASK_QUEUE,
    args: [{ resource: resourceOid, pageSize: 50 }],
  });
  const attributes = schedule?.action.typedSearchAttributes;
  expect(attributes).toBeInstanceOf(TypedSearchAttributes);
  expect((attributes as TypedSearchAttributes).get(searchAttributes.resource)).toBe(resourceOid);
  expect((attributes as TypedSearchAttributes).get(searchAttributes.state)).toBe('running');
  expect(schedule?.policies.overlap).toBe('SKIP');
  expect(schedule?.state.paused).toBe(false);
  const nextRuns = schedule!.info.nextActionTimes.slice(0, 3);
  expect(nextRuns).toHaveLength(3);
  for (const time of nextRuns) expect([time.getUTCHours(), time.getUTCMinutes(), time.getUTCSeconds()]).toEqual([2, 0, 0]);

  const listed = await tallyCli(['schedules', '--json']);
  expect(listed).toMatchObject({ code: 0 });
  expect(JSON.parse(listed.stdout) as ReconciliationSchedule[]).toEqual([
    { scheduleId, resource: 'Scheduled LDAP', cron: '0 2 * * *', nextRuns: nextRuns.map((t) => t.toISOString()), paused: false },
  ]);
  const text = await tallyCli(['schedules']);
  expect(text.stdout).toContain(`Scheduled LDAP  "0 2 * * *"  ${scheduleId}\n    next: ${nextRuns[0].toISOString()}`);
}, 180_000);

test('the schedule starts reconcileResource recon:<oid>-<time> on the resource, with the search attributes', async () => {
  await tally.services.client.schedule.getHandle(scheduleId).trigger();
  const actions = await eventually(
    async () => (await describe(scheduleId))?.info.recentActions ?? [],
    (recent) => recent.length > 0,
    'the triggered action',
  );
  const workflowId = actions[0].action.workflow.workflowId;
  expect(workflowId.startsWith(`recon:${resourceOid}-`)).toBe(true);

  const workflow = tally.services.client.workflow.getHandle(workflowId);
  const started = await workflow.describe();
  expect(started.type).toBe('reconcileResource');
  expect(started.taskQueue).toBe(tally.settings.TALLY_TASK_QUEUE);
  expect(started.typedSearchAttributes.get(searchAttributes.resource)).toBe(resourceOid);
  // The run's record shows the worker took the input and found the resource by it.
  const runs = await eventually(
    () => tally.services.repo.runs.list({ resourceRef: resourceOid, limit: 5 }),
    (found) => found.some((r) => r.workflowId === workflowId),
    'the run the schedule started',
  );
  expect(runs.find((r) => r.workflowId === workflowId)).toMatchObject({ type: 'recon', resourceName: 'Scheduled LDAP' });
  await workflow.result().catch(() => undefined);
}, 180_000);

test('apply with another cron updates the schedule; applying the same again leaves it unchanged', async () => {
  const applied = await applyResource('{ schedule: "30 4 * * 1", pageSize: 50, buckets: 2 }');
  expect(applied).toMatchObject({ code: 0 });
  expect(applied.stdout).toContain(`schedule  updated  ${scheduleId}  "30 4 * * 1"  Scheduled LDAP`);
  const schedule = await describe(scheduleId);
  expect(schedule?.action.args).toEqual([{ resource: resourceOid, pageSize: 50, buckets: 2 }]);
  for (const time of schedule!.info.nextActionTimes.slice(0, 3)) {
    expect([time.getUTCDay(), time.getUTCHours(), time.getUTCMinutes()]).toEqual([1, 4, 30]);
  }
  // The run the trigger started is still in the schedule's history: it was updated, not re-created.
  expect(schedule?.info.recentActions).toHaveLength(1);

  const again = await applyResource('{ schedule: "30 4 * * 1", pageSize: 50, buckets: 2 }');
  expect(again).toMatchObject({ code: 0 });
  expect(again.stdout).not.toContain('schedule ');
  const listed = JSON.parse((await tallyCli(['schedules', '--json'])).stdout) as ReconciliationSchedule[];
  expect(listed.map((s) => `${s.scheduleId} ${s.cron}`)).toEqual([`${scheduleId} 30 4 * * 1`]);
}, 180_000);

test('apply without reconciliation removes the schedule, and leaves schedules of another task queue alone', async () => {
  await tally.services.client.schedule.create({
    scheduleId: foreignScheduleId,
    spec: { cronExpressions: ['0 3 * * *'] },
    action: { type: 'startWorkflow', workflowType: 'reconcileResource', taskQueue: `${tally.settings.TALLY_TASK_QUEUE}-elsewhere`, args: [{ resource: 'x' }] },
    state: { paused: true },
  });
  const applied = await applyResource(undefined);
  expect(applied).toMatchObject({ code: 0 });
  expect(applied.stdout).toContain(`schedule  removed  ${scheduleId}  "30 4 * * 1"  Scheduled LDAP`);
  expect(await describe(scheduleId)).toBeUndefined();
  expect(await describe(foreignScheduleId)).toBeDefined();

  expect(JSON.parse((await tallyCli(['schedules', '--json'])).stdout)).toEqual([]);
  expect((await tallyCli(['schedules'])).stdout.trim()).toBe('(no schedules)');
}, 180_000);

test('apply --json reports schedule changes under schedules; a schedule deleted behind Tally\'s back is created again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-schedules-json-'));
  await applyResource('{ schedule: "15 1 * * *" }');
  await tally.services.client.schedule.getHandle(scheduleId).delete();
  writeFileSync(path.join(dir, 'unrelated.yaml'), 'kind: ObjectTemplate\nname: Schedules Test Template\nmapping: []\n');
  const applied = await tallyCli(['apply', '-f', dir, '--json']);
  expect(applied).toMatchObject({ code: 0 });
  const result = JSON.parse(applied.stdout) as { stored: unknown[]; schedules: ScheduleChange[] };
  expect(result.schedules).toEqual([{ resource: 'Scheduled LDAP', scheduleId, change: 'created', cron: '15 1 * * *' }]);
}, 180_000);
