/**
 * One namespace per Tally: two Tallys with the same examples (the same resource and user oids, so the same
 * workflow ids: `livesync:<oid>`, `user:<oid>`) on two namespaces of one Temporal server, set up with
 * `tally setup-namespace`, run side by side; each live-syncs its own directory container into its own users.
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../src/admin/live-sync';
import { workflowIds } from '../../src/workflows/workflow-ids';
import { exampleResources } from '../support/example-resources';
import { getStack } from '../support/stack';
import { runTallyCli } from '../support/tally-cli';
import { applyAndProvision, eventually, startTally, tallyTestEnv, type TallyHarness } from '../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';

interface OneTally {
  name: string;
  namespace: string;
  tally: TallyHarness;
  resources: Awaited<ReturnType<typeof exampleResources>>;
}

const tallys: OneTally[] = [];

async function startOne(name: string): Promise<OneTally> {
  const stack = getStack();
  const namespace = `tally-${name}-${randomBytes(4).toString('hex')}`;
  const setUp = await runTallyCli(tallyTestEnv(stack, name, namespace), ['setup-namespace']);
  expect(setUp.stdout).toContain(`namespace ${namespace} created`);
  const tally = await startTally(name, { namespace });
  const resources = await exampleResources(stack, `${name}_${randomBytes(3).toString('hex')}`);
  return { name, namespace, tally, resources };
}

/** A person's change in this Tally's directory container (bound as the directory's admin, not as Tally). */
const renameJack = (one: OneTally, cn: string) =>
  one.resources.ldap.modify(`uid=jack,${one.resources.base}`, [new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [cn] }) })]);

const fullNameOfJack = async (one: OneTally) => (await one.tally.services.repo.users.byRef('jack'))?.fullName;

beforeAll(async () => {
  tallys.push(await startOne('first'), await startOne('second'));
  for (const one of tallys) {
    await applyAndProvision(one.tally.services, [one.resources.examples]);
    await eventually(
      async () => (await one.resources.ldap.search(one.resources.base, { filter: '(uid=jack)' })).searchEntries.length,
      (n) => n === 1,
      `jack's account in the ${one.name} Tally's container`,
    );
  }
}, 240_000);

afterAll(async () => {
  for (const one of tallys) {
    await signalLiveSync(one.tally.services, LDAP_OID, 'stop').catch(() => undefined);
    await one.resources.close();
    await one.tally.stop();
  }
});

test('both live-sync the same resource oid, each in its own namespace, and a change reaches only its own Tally', async () => {
  for (const one of tallys) {
    const started = await startLiveSync(one.tally.services, LDAP_OID, { intervalMs: 200 });
    expect(started).toMatchObject({ workflowId: workflowIds.liveSync(LDAP_OID), running: false });
  }
  for (const one of tallys) {
    const described = await one.tally.services.client.workflow.getHandle(workflowIds.liveSync(LDAP_OID)).describe();
    expect(described).toMatchObject({ status: { name: 'RUNNING' }, taskQueue: one.tally.settings.TALLY_TASK_QUEUE });
    await eventually(async () => (await liveSyncStatuses(one.tally.services, LDAP_OID))[0].status?.polls ?? 0, (polls) => polls >= 2, `the ${one.name} Tally's live sync polling`);
  }

  const [first, second] = tallys;
  const before = await fullNameOfJack(second);
  await renameJack(first, 'Jack of the First');
  await eventually(() => fullNameOfJack(first), (n) => n === 'Jack of the First', "the first Tally's jack renamed by live sync");
  await renameJack(second, 'Jack of the Second');
  await eventually(() => fullNameOfJack(second), (n) => n === 'Jack of the Second', "the second Tally's jack renamed by live sync");
  expect(before).not.toBe('Jack of the Second');
  expect(await fullNameOfJack(first)).toBe('Jack of the First');
}, 180_000);
