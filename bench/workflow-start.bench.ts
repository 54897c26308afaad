/**
 * What starting a workflow costs the worker: a recorded history replayed N times through the SDK, in its
 * reusable V8 context as the worker runs workflows, each replay a new workflow that loads the bundle's
 * modules, with the bundle the worker builds (without tracing). No server: the Temporal SDK's core replays
 * in this process. Compare two versions of the code on the same machine: the figure includes the replay itself.
 *
 *   npx tsx bench/workflow-start.bench.ts [workflows=500] [history=process-change-modification]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { deriveSecretKey } from '../src/security/secret-key';
import { tallyDataConverter } from '../src/runtime/temporal-connection';
import { buildWorkflowBundle } from '../src/runtime/workflow-bundle';
import { REPLAY_FIXTURE_KEY } from '../test/support/replay-fixtures';

const workflows = Number(process.argv[2] ?? 500);
const historyName = process.argv[3] ?? 'process-change-modification';
const history: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', 'test', 'replay', 'histories', `${historyName}.json`), 'utf8'));
const dataConverter = tallyDataConverter(deriveSecretKey(REPLAY_FIXTURE_KEY));

const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** Replays the history `count` times; every replay must succeed. */
async function replay(bundle: WorkflowBundle, count: number): Promise<{ ms: number; cpuMs: number }> {
  const histories = Array.from({ length: count }, (_, i) => ({ workflowId: `${historyName}-${i}`, history }));
  const started = performance.now();
  const cpuBefore = cpuSeconds();
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter }, histories)) {
    if (result.error) throw new Error(`replay of ${result.workflowId} failed: ${String(result.error)}`);
  }
  return { ms: performance.now() - started, cpuMs: (cpuSeconds() - cpuBefore) * 1000 };
}

async function main() {
  const bundle = await buildWorkflowBundle({ tracing: false });
  await replay(bundle, Math.min(50, workflows)); // warm-up: the context, V8's compiled code
  const { ms, cpuMs } = await replay(bundle, workflows);
  console.log(`workflow start: ${workflows} replays of ${historyName} in one reusable V8 context`);
  console.log(`  ${(cpuMs / workflows).toFixed(2)} ms CPU per workflow, ${((workflows * 1000) / ms).toFixed(0)} workflows/s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
