/**
 * A change reported while its resource is down waits visibly: processChange is TallyState
 * waiting-for-resource with details saying what it waits for, `tally status` lists it, `tally change
 * --wait --timeout` says what it waits for once and gives up with a clear message (the workflow goes on),
 * and once the resource is back the change is processed and the state is done.
 */
import type { StuckOperation } from '../../../src/admin/stuck-operations';
import type { ChangeOutcome } from '../../../src/sync/synchronize-change';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import { runTallyCli } from '../../support/tally-cli';
import { eventually } from '../../support/tally-harness';
import { startOutageStack, userYaml, type OutageStack } from './outage-stack';

let s: OutageStack;
let resourceName: string;

beforeAll(async () => {
  s = await startOutageStack('change-wait');
  resourceName = `Outage LDAP ${s.resourceOid.slice(0, 8)}`;
  await s.applyAndProvision(userYaml(s.resourceOid, 'will', 'Will Turner'), { wait: true });
  await s.settled();
}, 120_000);

afterAll(async () => {
  await s?.close();
});

test('while the resource is down a change waits as waiting-for-resource, listed by tally status; --wait --timeout gives up saying so; back up, it is processed', async () => {
  await s.slapd.stop();
  const waited = await runTallyCli(s.env, ['change', resourceName, s.dnOf('will'), '--wait', '--timeout', '3s']);
  expect({ code: waited.code, stderr: waited.stderr }).toMatchObject({ code: 1 });
  const workflowId = /^processChange (change:\S+) is waiting: /m.exec(waited.stderr)?.[1];
  expect({ workflowId, stderr: waited.stderr }).toEqual({ workflowId: expect.any(String), stderr: waited.stderr });
  // Said once, not once a second.
  expect(waited.stderr.match(/is waiting: /g)).toHaveLength(1);
  expect(waited.stderr).toMatch(new RegExp(`is waiting: waiting for ${resourceName} to come back: unknown of ${s.dnOf('will')} \\(user\\) can't be read \\(attempt \\d+, next in \\d+ s\\): `));
  expect(waited.stderr).toMatch(new RegExp(`^tally: gave up waiting after 3 s for ${workflowId}: waiting for ${resourceName} .*; the workflow keeps going \\(tally status lists it while it waits\\)$`, 'm'));

  const status = await runTallyCli(s.env, ['status', '--json']);
  expect(status.code).toBe(0);
  const listed = (JSON.parse(status.stdout) as StuckOperation[]).find((o) => o.workflowId === workflowId);
  expect(listed).toMatchObject({ type: 'processChange', state: 'waiting-for-resource', resource: s.resourceOid });
  expect(listed!.details).toMatch(new RegExp(`^waiting for ${resourceName} to come back: .* can't be read .*: `));

  await s.slapd.restart();
  const handle = s.services.client.workflow.getHandle(workflowId!);
  const [outcome] = (await handle.result()) as ChangeOutcome[];
  expect(outcome).toMatchObject({ found: true, situation: 'linked', account: s.dnOf('will') });
  expect((await handle.describe()).typedSearchAttributes.get(searchAttributes.state)).toBe('done');
  const after = await eventually(
    () => runTallyCli(s.env, ['status', '--json']),
    (r) => r.code === 0 && !(JSON.parse(r.stdout) as StuckOperation[]).some((o) => o.workflowId === workflowId),
    'the processed change gone from tally status',
  );
  expect(after.code).toBe(0);
}, 180_000);
