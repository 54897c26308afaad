/**
 * A worker process killed with SIGKILL while operations wait for a resource loses nothing: the operations
 * are in the shadows and their workflows in Temporal; a new worker finishes every one exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { eventually } from '../../support/tally-harness';
import { ldapEntries, startOutageStack, userYaml, type OutageStack } from './outage-stack';

let s: OutageStack;
let child: ChildProcess | undefined;
const tally = path.join(__dirname, '..', '..', '..', 'bin', 'tally');

beforeAll(async () => {
  s = await startOutageStack('crash');
}, 120_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  await s?.close();
});

/** Replaces the test's in-process worker by a `tally worker` process, which a test can SIGKILL. */
async function workerProcess(): Promise<ChildProcess> {
  await s.stopWorker();
  const spawned = spawn(tally, ['worker'], { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  spawned.stdout!.on('data', (d) => (output += d));
  spawned.stderr!.on('data', (d) => (output += d));
  await eventually(async () => output, (o) => o.includes('tally worker: task queue'), 'the worker process to start', 60_000);
  return spawned;
}

async function killWorkerProcess(): Promise<void> {
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
  child!.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  child = undefined;
}

test('SIGKILL of the worker process while adds are postponed: a new worker creates every account once', async () => {
  child = await workerProcess();

  await s.slapd.stop();
  const names = ['kidd', 'morgan', 'roberts'];
  await s.applyAndProvision(names.map((n) => userYaml(s.resourceOid, n, `Captain ${n}`)).join('\n---\n'));
  await eventually(
    () => s.inspect.shadows.count({ resourceRef: s.resourceOid, 'pendingOperations.0.result.status': 'postponed' }),
    (n) => n === names.length,
    'three postponed adds',
  );

  await killWorkerProcess();
  // Nothing else works on the task queue now: the adds stay postponed until a new worker comes.
  expect(await s.inspect.shadows.count({ resourceRef: s.resourceOid, 'pendingOperations.0': { $exists: true } })).toBe(names.length);

  await s.slapd.restart();
  await s.startWorker();
  await s.settled(120_000);
  const entries = await ldapEntries(s, '(|(uid=kidd)(uid=morgan)(uid=roberts))');
  expect(entries.map((e) => e.uid).sort()).toEqual(names.sort());
  const shadows = await s.inspect.shadows.find({ resourceRef: s.resourceOid }, { projection: { _id: 0 } });
  expect(shadows).toHaveLength(names.length);
  expect(shadows.every((sh) => sh.exists && sh.pendingOperations.length === 0)).toBe(true);
}, 240_000);

test('SIGKILL of the worker while an add is at the resource: the next worker repeats it after the heartbeat timeout, not the 2-minute start-to-close timeout', async () => {
  child = await workerProcess();
  // A frozen slapd accepts connections and answers nothing: each attempt waits for the connector's timeout.
  const slapdPid = s.slapd.pid()!;
  process.kill(slapdPid, 'SIGSTOP');
  try {
    await s.applyAndProvision(userYaml(s.resourceOid, 'bellamy', 'Samuel Bellamy'));
    const [shadow] = await eventually(() => s.shadowsOf('bellamy'), (list) => list.length === 1, "bellamy's shadow");
    const handle = s.services.client.workflow.getHandle(`provision:${shadow.oid}`);
    await eventually(
      async () => (await handle.describe().catch(() => null))?.raw.pendingActivities ?? [],
      (pending) => pending.some((a) => a.activityType?.name === 'addAccount' && a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED),
      'the add running in the worker process',
      60_000,
    );
    await killWorkerProcess();
  } finally {
    process.kill(slapdPid, 'SIGCONT');
  }
  await s.startWorker();
  // Well under the 2 minutes after which the activity would time out without heartbeats.
  await s.settled(60_000);
  const entries = await ldapEntries(s, '(uid=bellamy)');
  expect(entries.map((e) => e.cn)).toEqual(['Samuel Bellamy']);
}, 240_000);
