/**
 * Replays the recorded histories against today's workflow code and prints one JSON line per history.
 * A separate process: protobufjs' JSON history reader does not survive Jest's module registry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { deriveSecretKey } from '../../src/security/secret-key';
import { tallyDataConverter } from '../../src/runtime/temporal-connection';
import { REPLAY_FIXTURE_KEY } from '../support/replay-fixtures';
import { preloadedWorkflowModules, workflowInterceptorModules } from '../../src/runtime/workflow-bundle';
import { workflowSpanSinks } from '../../src/observability/tracing';

async function main() {
  const dir = process.argv[2] ?? path.join(__dirname, 'histories');
  const histories = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ workflowId: f, history: JSON.parse(readFileSync(path.join(dir, f), 'utf8')) }));
  for await (const result of Worker.runReplayHistories(
    {
      workflowsPath: require.resolve('../../src/workflows'),
      dataConverter: tallyDataConverter(deriveSecretKey(REPLAY_FIXTURE_KEY)),
      // As the worker runs them: the tracing interceptors must not change a workflow's commands.
      interceptors: { workflowModules: workflowInterceptorModules },
      bundlerOptions: { preloadModules: preloadedWorkflowModules },
      sinks: workflowSpanSinks(),
    },
    histories,
  )) {
    console.log(JSON.stringify({ replayed: result.workflowId, error: result.error ? String(result.error) : null }));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
