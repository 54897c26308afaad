/**
 * A long outage: a workflow waiting for its resource tests the resource every livenessCheckInterval, and
 * every test adds history events. Past TALLY_WAITING_HISTORY_EVENTS (here 60, in production 2000) the wait
 * goes on in a fresh run (continue-as-new) instead of growing towards Temporal's 51,200-event limit, which
 * would terminate the workflow. The fresh run keeps what the wait was for: the rest of the backoff (no
 * extra attempt is spent), the state operators search for, the details they read, and for processChange
 * the change itself, so the work is done when the resource is back.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { ChangeOutcome } from '../../../src/sync/synchronize-change';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import { runTallyCli } from '../../support/tally-cli';
import { getStack } from '../../support/stack';
import { eventually, recordHistories } from '../../support/tally-harness';
import { ldapEntries, startOutageStack, userYaml, type OutageStack } from './outage-stack';

let s: OutageStack;
let resourceName: string;

beforeAll(async () => {
  // An hour's backoff: without the hand-over, each of these waits would stay in one run for an hour.
  s = await startOutageStack(
    'long-outage',
    { initialInterval: '1h', maximumInterval: '1h', livenessCheckInterval: '300ms' },
    { env: { TALLY_WAITING_HISTORY_EVENTS: '60' } },
  );
  resourceName = `Outage LDAP ${s.resourceOid.slice(0, 8)}`;
  await s.applyAndProvision(userYaml(s.resourceOid, 'gibbs', 'Joshamee Gibbs'), { wait: true });
  await s.settled();
}, 120_000);

afterAll(async () => {
  await s?.close();
});

async function runsOf(workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of s.services.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
  return runs;
}

const continuedTwice = (runs: WorkflowExecutionInfo[]) => runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW').length >= 2 && runs.some((r) => r.status.name === 'RUNNING');

test('a postponed modify waits across fresh runs with its backoff and details kept, and is applied when the resource is back', async () => {
  const [before] = await s.shadowsOf('gibbs');
  const workflowId = `provision:${before.oid}`;
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'gibbs', 'Joshamee Mister Gibbs'));

  const runs = await eventually(() => runsOf(workflowId), continuedTwice, 'the waiting provisionAccount continued as new twice', 60_000);
  const current = runs.find((r) => r.status.name === 'RUNNING')!;
  expect(current.typedSearchAttributes.get(searchAttributes.state)).toBe('waiting-for-resource');
  // Each run stays near the limit, not at the 51,200 events where Temporal would end it.
  for (const run of runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW')) expect(run.historyLength).toBeLessThan(120);
  const status = await runTallyCli(s.env, ['status', '--json']);
  const listed = (JSON.parse(status.stdout) as Array<{ workflowId: string; state: string; details: string }>).find((o) => o.workflowId === workflowId);
  expect(listed).toMatchObject({ state: 'waiting-for-resource', details: expect.stringMatching(new RegExp(`^waiting for ${resourceName} to come back: modify postponed \\(attempt \\d+, next in 3600 s\\): `)) });
  const attempt = Number(/\(attempt (\d+),/.exec(listed!.details)![1]);
  const [waiting] = await s.shadowsOf('gibbs');
  expect(waiting.pendingOperations).toEqual([expect.objectContaining({ type: 'modify', attemptNumber: attempt })]);
  // Two more fresh runs later, the modify has not been tried again: the runs went on with the hour's wait.
  const continued = runs.filter((r) => r.status.name === 'CONTINUED_AS_NEW').length;
  await eventually(() => runsOf(workflowId), (later) => later.filter((r) => r.status.name === 'CONTINUED_AS_NEW').length >= continued + 2, 'two more fresh runs', 60_000);
  const [later] = await s.shadowsOf('gibbs');
  expect(later.pendingOperations).toEqual([expect.objectContaining({ type: 'modify', attemptNumber: attempt })]);

  await s.slapd.restart();
  // The liveness test of the current run notices the resource; the operation is done well before the hour.
  await s.settled();
  const [entry] = await ldapEntries(s, '(uid=gibbs)');
  expect(entry.cn).toBe('Joshamee Mister Gibbs');
  expect(await s.services.client.workflow.getHandle(workflowId).result()).toMatchObject({ done: 1, failed: [], gaveUp: false });
}, 180_000);

test('a change waiting to be read goes on in fresh runs with the changes signalled after it; the result holds them all', async () => {
  await s.slapd.stop();
  const waited = await runTallyCli(s.env, ['change', resourceName, s.dnOf('gibbs'), '--wait', '--timeout', '1s']);
  const workflowId = /^processChange (change:\S+) is waiting: /m.exec(waited.stderr)?.[1];
  expect({ workflowId, stderr: waited.stderr }).toEqual({ workflowId: expect.any(String), stderr: waited.stderr });

  await eventually(() => runsOf(workflowId!), (runs) => runs.some((r) => r.status.name === 'CONTINUED_AS_NEW'), 'the waiting processChange continued as new', 60_000);
  // Reported again while it waits in a fresh run: queued behind the first, carried along.
  const again = await runTallyCli(s.env, ['change', resourceName, s.dnOf('gibbs')]);
  expect(again.code).toBe(0);
  const runs = await eventually(() => runsOf(workflowId!), continuedTwice, 'the waiting processChange continued as new twice', 60_000);
  expect(runs.find((r) => r.status.name === 'RUNNING')!.typedSearchAttributes.get(searchAttributes.state)).toBe('waiting-for-resource');

  await s.slapd.restart();
  const outcomes = (await s.services.client.workflow.getHandle(workflowId!).result()) as ChangeOutcome[];
  expect(outcomes).toEqual([
    expect.objectContaining({ found: true, situation: 'linked', account: s.dnOf('gibbs') }),
    expect.objectContaining({ found: true, situation: 'linked', account: s.dnOf('gibbs') }),
  ]);
  // The last run: it began with the continued input, waited, and processed both changes.
  await recordHistories(getStack().temporal, { 'process-change-continued-wait': workflowId! });
}, 180_000);
