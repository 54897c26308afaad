/**
 * Counts how often the worker's workflow bundle (without tracing) sets zod up while recorded histories
 * replay in one reusable V8 context, as the worker runs workflows: for one replay of every history, then
 * for three in a row.
 * Prints `{"zodSetUps":[once,thrice]}`. A separate process, as replay-histories.ts is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { deriveSecretKey } from '../../src/security/secret-key';
import { tallyDataConverter } from '../../src/runtime/temporal-connection';
import { buildWorkflowBundle } from '../../src/runtime/workflow-bundle';
import { REPLAY_FIXTURE_KEY } from '../support/replay-fixtures';

const dir = path.join(__dirname, 'histories');
const histories = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ workflowId: f, history: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown }));

async function replay(bundle: WorkflowBundle, times: number): Promise<void> {
  const all = Array.from({ length: times }, (_, i) => histories.map((h) => ({ ...h, workflowId: `${i}-${h.workflowId}` }))).flat();
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter: tallyDataConverter(deriveSecretKey(REPLAY_FIXTURE_KEY)) }, all)) {
    if (result.error) throw new Error(`${result.workflowId}: ${String(result.error)}`);
  }
}

/** Calls of zod's `$constructor` (it defines each of zod's classes as its module loads) since the last count. */
async function zodSetUps(session: Session): Promise<number> {
  const { result } = await session.post('Profiler.takePreciseCoverage');
  return result
    .filter((script) => /workflow-bundle/.test(script.url))
    .flatMap((script) => script.functions)
    .filter((f) => f.functionName === '$constructor')
    .reduce((calls, f) => calls + f.ranges[0].count, 0);
}

async function main() {
  const bundle = await buildWorkflowBundle({ tracing: false });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });
  await replay(bundle, 1);
  const once = await zodSetUps(session);
  await replay(bundle, 3);
  const thrice = await zodSetUps(session);
  console.log(JSON.stringify({ zodSetUps: [once, thrice] }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
