/**
 * Two `tally worker` processes, one SIGKILLed at a random moment of an import, of a live-sync burst and of
 * an assignment burst (a new one started each time): every account ends right, every PostgreSQL row
 * exists once, and nothing stays pending or due without a workflow finishing it. What a killed worker had
 * claimed or half done is found by the sweep once its claim runs out.
 */
import type { ChildProcess } from 'node:child_process';
import { Attribute, Change } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { workflowIds } from '../../../src/workflows/workflow-ids';
import { endWorkflowsOfTaskQueue } from '../../support/end-workflows';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { assignToUser } from '../../../src/admin/user-commands';
import { stuckOperations } from '../../../src/admin/stuck-operations';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { withConcurrency } from '../../../src/support/concurrency';
import { exampleResources } from '../../support/example-resources';
import { RepositoryInspector } from '../../support/repository-inspector';
import { strandedCnModify } from '../../support/stranded-operations';
import { getStack } from '../../support/stack';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const SAILORS = 120;
const uidOf = (i: number) => `sailor${String(i).padStart(3, '0')}`;

let services: Services;
let inspect: RepositoryInspector;
let env: Record<string, string>;
let resources: Awaited<ReturnType<typeof exampleResources>>;
const workers: ChildProcess[] = [];

async function startWorker(): Promise<void> {
  workers.push(await startWorkerProcess(env));
}

/** SIGKILLs the oldest running worker after a random delay up to `withinMs`, then starts a new one. */
async function killOneWorkerWithin(withinMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.random() * withinMs));
  const victim = workers.find((w) => w.exitCode === null && w.signalCode === null)!;
  const exited = new Promise((resolve) => victim.once('exit', resolve));
  victim.kill('SIGKILL');
  await exited;
  await startWorker();
}

const rows = async () =>
  (await resources.pg.query(`SELECT login, cn FROM ${resources.table} WHERE login LIKE 'sailor%' ORDER BY login`)).rows as Array<{ login: string; cn: string }>;

/** Nothing pending on any shadow, no user due for provisioning. */
async function settled(): Promise<{ pending: number; due: number }> {
  const { shadows, users } = inspect;
  return {
    pending: await shadows.count({ 'pendingOperations.0': { $exists: true } }),
    due: await users.count({ projectionDue: { $exists: true } }),
  };
}

async function expectEverySailorsRow(cnOf: (i: number) => string, what: string): Promise<void> {
  const expected = Array.from({ length: SAILORS }, (_, i) => ({ login: uidOf(i), cn: cnOf(i) }));
  await eventually(rows, (r) => JSON.stringify(r) === JSON.stringify(expected), what, 180_000).catch(async (e) => {
    const got = new Map((await rows()).map((r) => [r.login, r.cn]));
    const wrong = expected.filter((x) => got.get(x.login) !== x.cn).slice(0, 10);
    const users = await services.repo.users.list({ nameStartsWith: 'sailor', limit: 3 });
    const live = await liveSyncStatuses(services, LDAP_OID);
    // What Tally holds of the first wrong sailor: his user, his shadows and what was done to them, in order.
    const first = wrong[0] ? await services.repo.users.byName(wrong[0].login) : null;
    const trail = first
      ? {
          user: { fullName: first.fullName, version: first.version, projectionDue: first.projectionDue, modified: first.metadata?.modifyTimestamp },
          shadows: (await inspect.shadows.find({ ownerRef: first.oid })).map((sh) => ({ resource: sh.resourceRef, attributes: sh.attributes, pending: sh.pendingOperations, version: sh.version })),
          audit: (await inspect.audit.find({ objectOid: { $in: [first.oid, ...first.linkRef] } }, { sort: { timestamp: 1 } })).map((a) => [a.timestamp, a.channel, a.objectType, a.message, JSON.stringify(a.delta)]),
        }
      : null;
    throw new Error(
      `${(e as Error).message}\nrows not right (first 10): ${JSON.stringify(wrong.map((x) => ({ ...x, got: got.get(x.login) })))}` +
        `\nusers: ${JSON.stringify(users.map((u) => [u.name, u.fullName, u.projectionDue]))}\nlive sync: ${JSON.stringify(live)}\nstatus: ${JSON.stringify(await stuckOperations(services.client, { repo: services.repo }))}` +
        `\nfirst wrong sailor: ${JSON.stringify(trail)}`,
    );
  });
  // One row per sailor: nothing was created twice.
  const counts = (await resources.pg.query(`SELECT count(*)::int AS n, count(DISTINCT login)::int AS logins FROM ${resources.table} WHERE login LIKE 'sailor%'`)).rows[0];
  expect(counts).toEqual({ n: SAILORS, logins: SAILORS });
  expect(await eventually(settled, (s) => s.pending === 0 && s.due === 0, 'nothing pending or due', 120_000)).toEqual({ pending: 0, due: 0 });
}

beforeAll(async () => {
  const stack = getStack();
  env = { ...tallyTestEnv(stack, 'kills'), TALLY_LDAP_PASSWORD: stack.ldap.bindPassword, TALLY_PG_PASSWORD: 'unused-with-trust-auth', TALLY_STRANDED_WORK_INTERVAL_MS: '2000', TALLY_CLAIM_LEASE_MS: '6000' };
  services = await openServices(loadSettings(env), env);
  inspect = RepositoryInspector.of(services.settings);
  resources = await exampleResources(stack, `kills${Date.now() % 100_000}`);
  await withConcurrency(
    Array.from({ length: SAILORS }, (_, i) => i),
    8,
    async (i) => {
      await resources.ldap.add(`uid=${uidOf(i)},${resources.base}`, {
        objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
        uid: uidOf(i),
        cn: `Sailor ${i}`,
        givenName: 'Sailor',
        sn: `${i}`,
      });
    },
  );
  await applyConfig(services.repo, services.key, [resources.examples]);
  await startWorker();
  await startWorker();
}, 300_000);

afterAll(async () => {
  await signalLiveSync(services, LDAP_OID, 'stop').catch(() => undefined);
  // The workers are killed before they could act on the stop: the next file in this namespace would find the live sync running.
  if (services) await endWorkflowsOfTaskQueue(services.client, env.TALLY_TASK_QUEUE, [workflowIds.liveSync(LDAP_OID)]);
  for (const w of workers.filter((c) => c.exitCode === null && c.signalCode === null)) w.kill('SIGKILL');
  await resources?.close();
  await services?.close();
  await inspect?.close();
});

test('a worker killed during an import: every imported user gets his PostgreSQL row, once', async () => {
  const run = await startResourceRun(services, { type: 'import', resource: LDAP_OID, pageSize: 20 });
  await killOneWorkerWithin(1_500);
  await waitForRun(services, run.workflowId, () => undefined);
  await expectEverySailorsRow((i) => `Sailor ${i}`, 'a row per imported sailor');
}, 400_000);

test('a worker killed twice during a live-sync burst: every change reaches the PostgreSQL rows', async () => {
  await startLiveSync(services, LDAP_OID, { intervalMs: 200 });
  await eventually(async () => (await liveSyncStatuses(services, LDAP_OID))[0].status?.polls ?? 0, (n) => n >= 1, 'live sync polling');
  const burst = withConcurrency(
    Array.from({ length: SAILORS }, (_, i) => i),
    2,
    async (i) => {
      await resources.ldap.modify(`uid=${uidOf(i)},${resources.base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [`Bosun ${i}`] }) }));
      await new Promise((r) => setTimeout(r, 40));
    },
  );
  await killOneWorkerWithin(1_500);
  await killOneWorkerWithin(1_500);
  await burst;
  await expectEverySailorsRow((i) => `Bosun ${i}`, 'every cn change on its row');
}, 400_000);

test('a worker killed during an assignment burst: every assigned user gets the role on his LDAP account', async () => {
  await signalLiveSync(services, LDAP_OID, 'stop');
  const burst = withConcurrency(
    Array.from({ length: SAILORS }, (_, i) => i),
    4,
    async (i) => {
      await assignToUser(services, uidOf(i), { role: 'Pirate' }, 'api');
    },
  );
  await killOneWorkerWithin(1_500);
  await burst;
  const titled = async () => (await resources.ldap.search(resources.base, { filter: '(&(uid=sailor*)(title=Pirate))', attributes: ['uid'] })).searchEntries.length;
  await eventually(titled, (n) => n === SAILORS, 'every sailor titled Pirate', 180_000);
  await expectEverySailorsRow((i) => `Bosun ${i}`, 'rows unchanged by the assignments');
}, 400_000);

test('while no worker runs, tally status lists what is stranded; the next worker finishes it', async () => {
  for (const w of workers.filter((c) => c.exitCode === null && c.signalCode === null)) {
    const exited = new Promise((resolve) => w.once('exit', resolve));
    w.kill('SIGKILL');
    await exited;
  }
  const sailor = (await services.repo.users.byName(uidOf(7)))!;
  const sqlShadow = (await services.repo.shadows.ofOwner(sailor.oid)).find((s) => s.resourceRef !== LDAP_OID)!;
  const longAgo = new Date(Date.now() - 5 * 60_000).toISOString();
  await services.repo.shadows.patch(sqlShadow.oid, {
    set: {
      pendingOperations: [strandedCnModify({ id: 'claimed-by-the-dead', cn: 'Bosun 7 (stranded)', requestedAt: longAgo, claimedUntil: longAgo, claimedBy: 'inline:livesync:gone' })],
    },
  });
  const other = (await services.repo.users.byName(uidOf(8)))!;
  await services.repo.users.update(other.oid, other.version, { set: { fullName: 'Bosun 8 (due)', projectionDue: { since: longAgo, token: 'died', paths: ['fullName'] } } });

  const listed = await stuckOperations(services.client, { repo: services.repo });
  expect(listed.filter((s) => s.state === 'stranded')).toEqual([
    expect.objectContaining({ workflowId: `provision:${sqlShadow.oid}`, details: expect.stringContaining('claimed by inline:livesync:gone') }),
    expect.objectContaining({ workflowId: `user:${other.oid}`, details: expect.stringContaining('changed (fullName)') }),
  ]);

  await startWorker();
  await expectEverySailorsRow((i) => (i === 7 ? 'Bosun 7 (stranded)' : i === 8 ? 'Bosun 8 (due)' : `Bosun ${i}`), 'the stranded work done');
  expect((await stuckOperations(services.client, { repo: services.repo })).filter((s) => s.state === 'stranded')).toEqual([]);
}, 300_000);
