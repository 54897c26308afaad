/**
 * A worker process killed with SIGKILL while operations wait for a resource loses nothing: the operations
 * are in the shadows and their workflows in Temporal; a new worker finishes every one exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
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

test('SIGKILL of the worker process while adds are postponed: a new worker creates every account once', async () => {
  await s.stopWorker();
  child = spawn(tally, ['worker'], { env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(async () => output, (o) => o.includes('tally worker: task queue'), 'the worker process to start', 60_000);

  await s.slapd.stop();
  const names = ['kidd', 'morgan', 'roberts'];
  await s.applyAndProvision(names.map((n) => userYaml(s.resourceOid, n, `Captain ${n}`)).join('\n---\n'));
  await eventually(
    () => s.services.repo.collections.shadows.countDocuments({ resourceRef: s.resourceOid, 'pendingOperations.0.result.status': 'postponed' }),
    (n) => n === names.length,
    'three postponed adds',
  );

  const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  child = undefined;
  // Nothing else works on the task queue now: the adds stay postponed until a new worker comes.
  expect(await s.services.repo.collections.shadows.countDocuments({ resourceRef: s.resourceOid, 'pendingOperations.0': { $exists: true } })).toBe(names.length);

  await s.slapd.restart();
  await s.startWorker();
  await s.settled(120_000);
  const entries = await ldapEntries(s, '(|(uid=kidd)(uid=morgan)(uid=roberts))');
  expect(entries.map((e) => e.uid).sort()).toEqual(names.sort());
  const shadows = await s.services.repo.collections.shadows.find({ resourceRef: s.resourceOid }, { projection: { _id: 0 } }).toArray();
  expect(shadows).toHaveLength(names.length);
  expect(shadows.every((sh) => sh.exists && sh.pendingOperations.length === 0)).toBe(true);
}, 240_000);
