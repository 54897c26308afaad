import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildWorkflowBundle, WORKFLOW_BUNDLE_ENV } from '../../src/runtime/workflow-bundle';
import { repoRoot } from '../../src/dev/servers';
import { startTestStack, type RunningStack } from './test-stack';

declare global {
  // Shared with global-teardown, which Jest runs in this same process.
  var __tallyTestStack: RunningStack | undefined;
}

/** bin/tally runs the compiled CLI only while it is fresh: build it now rather than compile at every spawn. */
async function ensureCompiledCli(): Promise<void> {
  await promisify(execFile)(path.join(repoRoot, 'scripts', 'compiled-cli.sh'), ['ensure']).catch((e: { stdout?: string; message: string }) => {
    throw new Error(`building the compiled CLI failed (scripts/compiled-cli.sh ensure): ${e.stdout || e.message}`);
  });
}

/**
 * The real servers, the workflow bundle every worker of the run loads (in-process and `tally worker`
 * children: Jest workers and their children inherit the environment set here) and the compiled CLI, side by side.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const started = Date.now();
  const [stack, bundle, cli] = await Promise.allSettled([startTestStack({ workers: globalConfig.maxWorkers }), buildWorkflowBundle({ tracing: true }), ensureCompiledCli()]);
  if (stack.status === 'rejected') throw stack.reason;
  globalThis.__tallyTestStack = stack.value;
  for (const step of [bundle, cli]) {
    if (step.status === 'rejected') {
      await stack.value.stop();
      throw step.reason;
    }
  }
  const bundleFile = path.join(stack.value.info.dataDir, 'workflow-bundle.js');
  writeFileSync(bundleFile, (bundle as PromiseFulfilledResult<{ code: string }>).value.code);
  process.env[WORKFLOW_BUNDLE_ENV] = bundleFile;
  if (process.env.TALLY_STACK_TIMING === '1') {
    process.stderr.write(`\ntest stack started in ${Date.now() - started} ms\n`);
  }
}
