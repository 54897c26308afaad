/** Import and reconciliation runs measured on the real stack, and the floor they are compared with. */
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import { startSimulatedRun } from '../../src/admin/simulations';
import { startTally, type TallyHarness } from '../../test/support/tally-harness';
import { startCpuMeter, startProfile } from './measure';

type Pids = () => Record<string, number | undefined>;

/**
 * One run of `type` over the resource: its summary, wall time, CPU per process and history events over its
 * continue-as-new chain (in all, and in its longest run: what bounds one history).
 */
export async function measuredRun(tally: TallyHarness, pids: Pids, resource: string, type: 'import' | 'recon', pageSize: number, simulate = false) {
  const meter = startCpuMeter(pids());
  const profile = await startProfile(process.env.TALLY_BENCH_PROFILE ? `${process.env.TALLY_BENCH_PROFILE}.${type}${simulate ? '.simulated' : ''}` : undefined);
  const started = performance.now();
  const since = new Date().toISOString();
  const { workflowId } = simulate
    ? await startSimulatedRun(tally.services, { type, resource, pageSize })
    : await startResourceRun(tally.services, { type, resource, pageSize });
  const summary = await waitForRun(tally.services, workflowId, () => undefined);
  const ms = performance.now() - started;
  await profile.stop();
  const cpu = meter.read();
  let events = 0;
  let runs = 0;
  let longestRun = 0;
  for await (const execution of tally.services.client.workflow.list({ query: `WorkflowId = '${workflowId}' AND StartTime >= '${since}'` })) {
    events += execution.historyLength;
    longestRun = Math.max(longestRun, execution.historyLength);
    runs++;
  }
  return { summary, ms, cpu, events, runs, longestRun };
}

/**
 * The floor of a run: the resource's accounts read page by page with its connector, and their shadows from
 * MongoDB, one after the other; `shadows: false`, the accounts alone (an import's floor: it finds no shadows).
 */
export async function measuredReadFloor(tally: TallyHarness, pids: Pids, resource: string, pageSize: number, options: { shadows?: boolean } = {}) {
  const { connector } = await tally.services.connectors.connectorFor(resource);
  const meter = startCpuMeter(pids());
  const t = performance.now();
  let cursor: string | undefined;
  let read = 0;
  do {
    const page = await connector.search({ cursor, pageSize });
    if (options.shadows !== false) await tally.services.repo.shadows.byPrimaryIdentifiers(resource, page.objects.map((o) => o.primaryIdentifier));
    read += page.objects.length;
    cursor = page.cursor;
  } while (cursor);
  return { read, ms: performance.now() - t, cpu: meter.read() };
}

/** Waits until the provisioning a run handed over is done (no shadow has a pending operation). */
export async function provisioningSettled(tally: TallyHarness): Promise<void> {
  while ((await tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } })) > 0) await new Promise((r) => setTimeout(r, 500));
}

/**
 * A worker start: this Tally stopped and a new one started on the same repository, task queue and key, so
 * nothing the first held in memory (caches, connections) is left.
 */
export async function restartedTally(tally: TallyHarness, name: string): Promise<TallyHarness> {
  const { TALLY_DATABASE, TALLY_TASK_QUEUE, TALLY_SECRET_KEY } = tally.env;
  await tally.stop();
  return startTally(name, { env: { TALLY_DATABASE, TALLY_TASK_QUEUE, TALLY_SECRET_KEY } });
}
