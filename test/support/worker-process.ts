import { spawn, type ChildProcess } from 'node:child_process';
import { tallyBin } from './tally-cli';
import { eventually } from './tally-harness';

/**
 * A `tally worker` process of its own with this environment (killable as a real deployment's is);
 * `onOutput` sees what it writes to stdout and stderr.
 */
export async function startWorkerProcess(env: Record<string, string>, onOutput?: (text: string) => void): Promise<ChildProcess> {
  const child = spawn(tallyBin, ['worker'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const take = (d: Buffer) => {
    output += d;
    onOutput?.(String(d));
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  await eventually(async () => output, (o) => o.includes('tally worker: task queue'), 'a worker process to start', 60_000);
  return child;
}
