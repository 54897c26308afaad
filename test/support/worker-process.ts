import { spawn, type ChildProcess } from 'node:child_process';
import { tallyBin } from './tally-cli';
import { eventually } from './tally-harness';

/** A `tally worker` process of its own with this environment (killable as a real deployment's is). */
export async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(tallyBin, ['worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(async () => output, (o) => o.includes('tally worker: task queue'), 'a worker process to start', 60_000);
  return child;
}
