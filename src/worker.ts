/**
 * Tally's Temporal worker: registers every workflow and the activities built with their dependencies.
 * Run directly (`tsx src/worker.ts`) or started in-process by `tally dev` and the tests.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities';
import { loadSettings, type Settings } from './runtime/settings';
import { openServices, type Services } from './runtime/services';
import { tallyDataConverter } from './runtime/temporal-connection';
import { checkTallyNamespace } from './runtime/temporal-namespace';
import { tallyWorkflowBundle } from './runtime/workflow-bundle';
import { startStrandedWorkSweeper } from './sync/stranded-work';
import { log } from './observability/logger';
import { serveMetrics } from './observability/metrics-endpoint';
import { installTemporalRuntime } from './observability/temporal-runtime';
import { stopTracing, tracingEnabled, workerTracingInterceptors, workflowSpanSinks } from './observability/tracing';
import { beginObservability, observeRepository } from './runtime/observability';

export interface TallyWorkerOptions {
  settings: Settings;
  services: Services;
  /** Concurrent activity executions. @default 20 */
  maxConcurrentActivityTaskExecutions?: number;
}

export interface TallyWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Runs the worker, and beside it the sweep for stranded work, until the worker shuts down. */
  run(): Promise<void>;
}

export async function createTallyWorker(options: TallyWorkerOptions): Promise<TallyWorker> {
  const { settings, services } = options;
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: settings.TEMPORAL_NAMESPACE,
    taskQueue: settings.TALLY_TASK_QUEUE,
    workflowBundle: await tallyWorkflowBundle({ tracing: tracingEnabled() }),
    activities: createActivities(services.syncDeps, { waitingHistoryEvents: settings.TALLY_WAITING_HISTORY_EVENTS }),
    dataConverter: tallyDataConverter(services.key),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions ?? 20,
    interceptors: workerTracingInterceptors(),
    sinks: workflowSpanSinks(),
  });
  const run = async () => {
    const sweeper = startStrandedWorkSweeper(services.syncDeps, {
      intervalMs: settings.TALLY_STRANDED_WORK_INTERVAL_MS,
      onError: (e) => log().error('tally worker: sweeping for stranded work failed', { error: e instanceof Error ? e.message : String(e) }),
    });
    try {
      await worker.run();
    } finally {
      await sweeper.stop();
    }
  };
  return { worker, connection, run };
}

export async function runWorkerMain() {
  const settings = loadSettings();
  const logger = beginObservability('tally-worker', settings);
  const temporalMetrics = settings.TALLY_TEMPORAL_METRICS_PORT !== undefined ? `${settings.TALLY_METRICS_HOST}:${settings.TALLY_TEMPORAL_METRICS_PORT}` : undefined;
  installTemporalRuntime({ logger, metricsAddress: temporalMetrics });
  const services = await openServices(settings, process.env, { devKeyWarning: (message) => logger.warn(message) });
  try {
    await checkTallyNamespace(services.client.connection, settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE);
  } catch (e) {
    await services.close();
    throw e;
  }
  observeRepository(services);
  const metrics = settings.TALLY_METRICS_PORT !== undefined ? await serveMetrics({ host: settings.TALLY_METRICS_HOST, port: settings.TALLY_METRICS_PORT }) : undefined;
  const { connection, run } = await createTallyWorker({ settings, services });
  logger.info(`tally worker: task queue ${settings.TALLY_TASK_QUEUE} on ${settings.TEMPORAL_ADDRESS}`, {
    ...(metrics ? { metrics: metrics.url } : {}),
    ...(temporalMetrics ? { temporalMetrics: `http://${temporalMetrics}/metrics` } : {}),
  });
  try {
    await run();
  } finally {
    await metrics?.close();
    await stopTracing();
    await connection.close();
    await services.close();
  }
}

if (require.main === module) {
  runWorkerMain().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
