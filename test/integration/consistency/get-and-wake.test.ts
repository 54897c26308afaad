/**
 * With backoffs and connection tests far longer than the test (10 minutes), anything that completes
 * was done by the mechanism under test: a get finishing pending operations, a first success on the
 * resource waking the other waiting operations of that resource.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { getAccount } from '../../../src/provisioning';
import type { ShadowDoc } from '../../../src/schema/objects';
import { eventually } from '../../support/tally-harness';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import { ldapEntries, startOutageStack, userYaml, type OutageStack } from './outage-stack';

let s: OutageStack;

beforeAll(async () => {
  s = await startOutageStack('wake', { initialInterval: '10m', maximumInterval: '10m', livenessCheckInterval: '10m' });
}, 120_000);

afterAll(async () => {
  await s?.close();
});

async function postponedAdd(user: string): Promise<ShadowDoc> {
  const [shadow] = await eventually(
    () => s.shadowsOf(user),
    (list) => list.length === 1 && list[0].pendingOperations[0]?.result.status === 'postponed',
    `${user}'s postponed add`,
  );
  return shadow;
}

async function waitingForResource(shadow: ShadowDoc): Promise<void> {
  const handle = s.services.client.workflow.getHandle(`provision:${shadow.oid}`);
  await eventually(async () => (await handle.describe()).typedSearchAttributes.get(searchAttributes.state), (state) => state === 'waiting-for-resource', `provision:${shadow.oid} waiting for the resource`);
}

test('get while the resource is down returns the shadow as it is, marked as not fresh', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(userYaml(s.resourceOid, 'kate', 'Kate Kidd'));
  const shadow = await postponedAdd('kate');
  const got = await getAccount(s.services.syncDeps, shadow.oid);
  expect(got).toMatchObject({ state: 'pending', resourceUp: false, account: null });
  expect(got.shadow?.pendingOperations[0]).toMatchObject({ type: 'add', attributes: { cn: ['Kate Kidd'] } });

  // The same from the command line.
  const cli = await promisify(execFile)(path.join(__dirname, '..', '..', '..', 'bin', 'tally'), ['account', shadow.oid, '--json'], {
    env: { ...process.env, ...s.env },
    timeout: 60_000,
  });
  expect(JSON.parse(cli.stdout)).toMatchObject({ state: 'pending', resourceUp: false, shadow: { oid: shadow.oid, pendingOperations: [{ type: 'add' }] } });
});

test('get while the resource is up finishes the pending operations first, then returns the fresh account', async () => {
  await s.slapd.restart();
  const [shadow] = await s.shadowsOf('kate');
  expect(shadow.pendingOperations).toHaveLength(1);
  const got = await getAccount(s.services.syncDeps, shadow.oid);
  expect(got).toMatchObject({ state: 'fresh', resourceUp: true, account: { secondaryIdentifier: s.dnOf('kate'), attributes: { cn: ['Kate Kidd'] } } });
  expect(got.shadow).toMatchObject({ exists: true, pendingOperations: [], primaryIdentifier: got.account!.primaryIdentifier });
});

test('get of an account deleted on the resource re-creates it while an assignment requires it', async () => {
  const [shadow] = await s.shadowsOf('kate');
  await s.ldap((c) => c.del(s.dnOf('kate')));
  const got = await getAccount(s.services.syncDeps, shadow.oid);
  expect(got).toMatchObject({ state: 'fresh', account: { secondaryIdentifier: s.dnOf('kate'), attributes: { cn: ['Kate Kidd'] } } });
  expect(got.account!.primaryIdentifier).not.toBe(shadow.primaryIdentifier);
  const [entry] = await ldapEntries(s, '(uid=kate)');
  expect(entry.entryUUID).toBe(got.account!.primaryIdentifier);
});

test('the first success on a resource that was down wakes the other operations waiting for it', async () => {
  await s.slapd.stop();
  await s.applyAndProvision(['liam', 'mary', 'ned'].map((n) => userYaml(s.resourceOid, n, `${n} Sailor`)).join('---\n'));
  const [liam, mary, ned] = [await postponedAdd('liam'), await postponedAdd('mary'), await postponedAdd('ned')];
  // Each workflow has tried once and waits: otherwise mary's or ned's first try could be the first success.
  for (const shadow of [liam, mary, ned]) await waitingForResource(shadow);
  await s.slapd.restart();
  // Only liam's workflow is told; its success must wake mary's and ned's (their timers say 10 minutes).
  await s.services.workflows.requestAccountProvisioning({ shadowOid: liam.oid, resourceOid: s.resourceOid });
  await s.settled();
  const entries = await ldapEntries(s, '(|(uid=liam)(uid=mary)(uid=ned))');
  expect(entries.map((e) => e.dn).sort()).toEqual([s.dnOf('liam'), s.dnOf('mary'), s.dnOf('ned')]);
  for (const shadow of [liam, mary, ned]) expect((await s.services.repo.shadows.get(shadow.oid))?.exists).toBe(true);
  const history = await s.services.client.workflow.getHandle(`provision:${liam.oid}`).fetchHistory();
  const activities = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  expect(activities).toContain('wakeWaitingOperations');
});
