/**
 * A change the routine keeps failing on (here: MongoDB refuses the user's new fullName, a collection
 * validator standing in for any error that is neither an outage nor configuration) is tried again by the
 * resource's `consistency.failedChange` (TallyState=retrying), then held as failed while its processChange
 * runs on: `tally status` lists it, live sync queues the object's next change behind it and applies other
 * objects' changes, `tally livesync status` counts it; `POST .../discard` lets the queued change through,
 * `tally operation retry` tries it again once the cause is gone.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute, Change } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { liveSyncStatuses, startLiveSync, type LiveSyncListing } from '../../../src/admin/live-sync';
import { stuckOperations, type StuckOperation } from '../../../src/admin/stuck-operations';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { runTallyCli, tallyCliOk } from '../../support/tally-cli';
import { eventually, listenApi, recordHistories, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const TOKEN = 'held-changes-token';
let tally: TallyHarness;
let resources: ExampleResources;
let apiUrl: string;
let closeApi: () => Promise<void>;

const person = (uid: string, given: string, family: string) => ({
  objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
  uid,
  cn: `${given} ${family}`,
  givenName: given,
  sn: family,
});
const replace = (uid: string, values: Record<string, string>) =>
  resources.ldap.modify(
    resources.accountDn(uid),
    Object.entries(values).map(([type, value]) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) })),
  );
/** MongoDB refuses a user with one of these full names (nothing else: other users are written as usual). */
const refuseFullNames = (names: string[]) =>
  tally.inspect.databaseCommand({ collMod: 'users', validator: names.length ? { fullName: { $nin: names } } : {} });
const user = (name: string) => tally.services.repo.users.byRef(name);
/** This file's held changes (other files' Tallys share the namespace and the example resource's oid). */
const changesOfLdap = async () => {
  const ours = new Set((await tally.inspect.shadows.find({ resourceRef: LDAP_OID })).map((s) => `change:${LDAP_OID}:${s.primaryIdentifier}`));
  return (await stuckOperations(tally.services.client)).filter((o) => o.type === 'processChange' && o.resource === LDAP_OID && ours.has(o.workflowId));
};
const heldChanges = async () => {
  const listing = JSON.parse(await tallyCliOk(tally.env, ['livesync', 'status', 'OpenDJ LDAP directory', '--json'])) as LiveSyncListing[];
  return listing[0].heldChanges;
};

beforeAll(async () => {
  tally = await startTally('held-changes');
  resources = await exampleResources(tally.stack, `held_${randomBytes(4).toString('hex')}`);
  const ldapYaml = path.join(resources.examples, 'resources', 'ldap.yaml');
  const retry = '  retry: { initialInterval: 30s, backoffCoefficient: 2, maximumInterval: 30m }\n';
  const yaml = readFileSync(ldapYaml, 'utf8');
  expect(yaml).toContain(retry);
  // Attempt 1 fails, 3 s retrying (long enough to be seen), attempt 2 fails: held as failed.
  writeFileSync(ldapYaml, yaml.replace(retry, `${retry}  failedChange: { maxAttempts: 2, backoff: { initialInterval: 3s, maximumInterval: 3s }, maxAge: 1h }\n`));
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  await startLiveSync(tally.services, LDAP_OID);
  await eventually(() => tally.services.repo.liveSync.token(LDAP_OID), (t) => !!t?.token, 'live sync at the changelog end');
  // Unmatched directory accounts become users through live sync.
  for (const [uid, given, family] of [['anne', 'Anne', 'Anderson'], ['bill', 'Bill', 'Turner'], ['cora', 'Cora', 'Kidd']]) {
    await resources.ldap.add(resources.accountDn(uid), person(uid, given, family));
  }
  for (const name of ['anne', 'bill', 'cora']) await eventually(() => user(name), (u) => u !== null, `user ${name}`);
  const listening = await listenApi(tally, TOKEN);
  apiUrl = listening.url;
  closeApi = () => listening.api.close();
}, 180_000);

afterAll(async () => {
  await closeApi?.();
  await refuseFullNames([]).catch(() => undefined);
  await resources?.close();
  await tally?.stop();
});

let anneWorkflowId: string;

test('a change failing twice is retried, then held as failed and listed by tally status; the object\'s next change waits behind it, another object\'s goes through', async () => {
  await refuseFullNames(['Anne Broken', 'Bill Broken']);
  await replace('anne', { cn: 'Anne Broken' });

  const [retrying] = await eventually(changesOfLdap, (found) => found.some((o) => o.state === 'retrying'), 'the change retrying');
  expect(retrying.details).toMatch(/^retrying modify of .* \(live-sync\): attempt 1 of 2 failed, next try at \S+: .*Document failed validation/);
  anneWorkflowId = retrying.workflowId;
  // Counted while it retries (the count is written before the state is set, 3 s before the next try).
  expect((await liveSyncStatuses(tally.services, LDAP_OID))[0].heldChanges).toEqual({ retrying: 1, failed: 0 });

  await eventually(changesOfLdap, (found) => found.some((o) => o.workflowId === anneWorkflowId && o.state === 'failed'), 'the change held as failed', 30_000);
  const handle = tally.services.client.workflow.getHandle(anneWorkflowId);
  const described = await handle.describe();
  expect({ status: described.status.name, state: described.typedSearchAttributes.get(searchAttributes.state) }).toEqual({ status: 'RUNNING', state: 'failed' });
  const status = JSON.parse(await tallyCliOk(tally.env, ['status', '--json'])) as StuckOperation[];
  expect(status.find((o) => o.workflowId === anneWorkflowId)).toMatchObject({ type: 'processChange', state: 'failed', resource: LDAP_OID });
  expect(status.find((o) => o.workflowId === anneWorkflowId)!.details).toMatch(
    new RegExp(`^failed: modify of .* failed 2 times since \\S+; held until an operator retries or discards it \\(tally operation retry\\|discard ${anneWorkflowId}\\): .*Document failed validation`),
  );
  expect(await heldChanges()).toEqual({ retrying: 0, failed: 1 });
  expect(await tallyCliOk(tally.env, ['livesync', 'status', 'OpenDJ LDAP directory'])).toContain('changes retrying 0, failed 1');

  // Anne's next change would go through on its own (MongoDB takes "Anne Bonny"), but waits behind the held one.
  const handedOverBefore = (await tally.services.client.workflow.getHandle(`livesync:${LDAP_OID}`).query<{ handedOver: number }>('status')).handedOver;
  await replace('anne', { cn: 'Anne Bonny', sn: 'Bonny' });
  await replace('cora', { sn: 'Later' });
  await eventually(() => user('cora'), (u) => u?.familyName === 'Later', "cora's change applied");
  await eventually(
    () => tally.services.client.workflow.getHandle(`livesync:${LDAP_OID}`).query<{ handedOver: number }>('status'),
    (s) => s.handedOver > handedOverBefore,
    "anne's next change handed to her workflow",
  );
  expect(await user('anne')).toMatchObject({ fullName: 'Anne Anderson', familyName: 'Anderson' });
  expect((await handle.describe()).status.name).toBe('RUNNING');
}, 120_000);

test('discard from the API drops the held change (audited) and lets the queued one through', async () => {
  const listed = await fetch(`${apiUrl}/api/v1/livesync?resource=${LDAP_OID}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(((await listed.json()) as LiveSyncListing[])[0].heldChanges).toEqual({ retrying: 0, failed: 1 });

  const answer = await fetch(`${apiUrl}/api/v1/operations/${encodeURIComponent(anneWorkflowId)}/discard`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  expect({ status: answer.status, body: await answer.json() }).toMatchObject({ status: 200, body: { workflowId: anneWorkflowId, action: 'discard', done: 'discarded' } });

  const handle = tally.services.client.workflow.getHandle(anneWorkflowId);
  const outcomes = (await handle.result()) as Array<{ situation: string }>;
  // The discarded change has no outcome; the queued one has.
  expect(outcomes).toHaveLength(1);
  expect(await user('anne')).toMatchObject({ fullName: 'Anne Bonny', familyName: 'Bonny' });
  expect((await handle.describe()).typedSearchAttributes.get(searchAttributes.state)).toBe('done');
  expect(await tally.inspect.audit.find({ workflowId: anneWorkflowId, channel: 'api' })).toEqual([
    expect.objectContaining({ message: `change held by ${anneWorkflowId} discarded: discarded by an operator`, delta: expect.objectContaining({ attempt: 2 }) }),
  ]);
  expect(await heldChanges()).toEqual({ retrying: 0, failed: 0 });
  expect((await changesOfLdap()).map((o) => o.workflowId)).not.toContain(anneWorkflowId);
}, 120_000);

test('retry from the CLI tries the held change again, and it goes through once the cause is gone', async () => {
  await replace('bill', { cn: 'Bill Broken' });
  const [held] = await eventually(changesOfLdap, (found) => found.some((o) => o.state === 'failed'), "bill's change held as failed", 30_000);
  // The held record and the search attribute are two writes: the count follows within moments.
  await eventually(heldChanges, (h) => h.retrying === 0 && h.failed === 1, 'the count of held changes: 1 failed', 10_000);
  // A change reported by its stable identifier meets the same workflow and waits behind the held one; --wait says why.
  const entryUuid = held.workflowId.slice(`change:${LDAP_OID}:`.length);
  const waited = await runTallyCli(tally.env, ['change', 'OpenDJ LDAP directory', entryUuid, '--primary', '--wait', '--timeout', '3s']);
  expect({ code: waited.code, stderr: waited.stderr }).toEqual({
    code: 1,
    stderr: expect.stringContaining(`processChange ${held.workflowId} is waiting: failed: modify of `),
  });

  await refuseFullNames([]);
  const retried = await runTallyCli(tally.env, ['operation', 'retry', held.workflowId]);
  expect({ code: retried.code, stdout: retried.stdout }).toEqual({ code: 0, stdout: `woken: ${held.workflowId} tries its failed change again now (its attempts counted afresh)\n` });
  const handle = tally.services.client.workflow.getHandle(held.workflowId);
  // The held change, then the one queued behind it.
  expect(await handle.result()).toEqual([expect.objectContaining({ situation: 'linked' }), expect.objectContaining({ situation: 'linked' })]);
  expect(await user('bill')).toMatchObject({ fullName: 'Bill Broken' });
  expect(await heldChanges()).toEqual({ retrying: 0, failed: 0 });
  await recordHistories(tally.stack.temporal, { 'process-change-failed-discarded': anneWorkflowId, 'process-change-failed-retried': held.workflowId });
}, 120_000);
