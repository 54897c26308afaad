/**
 * What an operator's terminal shows with the dev environment (TALLY_DEV=1, no TALLY_SECRET_KEY, as in
 * .data/dev/tally.env): one-shot commands don't repeat the development-key warning; a long-running process
 * (here `tally worker`; the dev stack likewise) says it once at its start, and its start log carries no
 * webpack build report.
 */
import { spawn } from 'node:child_process';
import { getStack } from '../../support/stack';
import { runTallyCli, tallyBin } from '../../support/tally-cli';
import { eventually, tallyTestEnv } from '../../support/tally-harness';

const DEV_KEY_WARNING = /TALLY_SECRET_KEY is not set: using the built-in DEVELOPMENT key/g;

function devEnv(): Record<string, string> {
  const { TALLY_SECRET_KEY: _key, ...env } = tallyTestEnv(getStack(), 'quiet');
  return { ...env, TALLY_DEV: '1', TALLY_SECRET_KEY: '' };
}

test('one-shot commands with the dev environment print no development-key warning', async () => {
  const env = devEnv();
  const status = await runTallyCli(env, ['status']);
  expect(status.code).toBe(0);
  const missing = await runTallyCli(env, ['user', 'get', 'nobody']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe("tally: no user 'nobody'\n");
  expect(status.stderr).toBe('');
});

test('without TALLY_DEV=1 and without a key, a command refuses to run and says why', async () => {
  const { TALLY_DEV: _dev, ...env } = devEnv();
  const result = await runTallyCli({ ...env, TALLY_DEV: '' }, ['status']);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^tally: TALLY_SECRET_KEY is not set\. It encrypts stored passwords/);
});

test('a worker with the dev environment warns once at its start; its start log has no webpack report', async () => {
  // The worker bundles its workflows itself here, not from the bundle the test set-up built once for all.
  const child = spawn(tallyBin, ['worker'], { env: { ...process.env, ...devEnv(), TALLY_WORKFLOW_BUNDLE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  try {
    await eventually(async () => stdout, (o) => o.includes('tally worker: task queue'), 'the worker to start', 90_000);
    // Past its start: the worker polls by now.
    await new Promise((r) => setTimeout(r, 1000));
    expect(stderr.match(DEV_KEY_WARNING)).toHaveLength(1);
    const log = stdout + stderr;
    expect(log).not.toMatch(/webpack|modules by path|Workflow bundle created/);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}, 120_000);
