/**
 * `reconcileResource` and `importFromResource`: a whole resource in midPoint's three phases.
 *
 * 1. operations: pending operations of the resource finished (their workflows woken or started again);
 * 2. objects: the resource read page by page, each page compared in bulk, only what differs synchronized;
 * 3. shadows (reconciliation only): shadows of objects the run did not see, i.e. deleted behind Tally's back.
 *
 * The paging activities heartbeat their position, so a run survives a worker's death; the workflow
 * continues as new well before its history grows large. With `buckets`, phases 2 and 3 are shared by
 * child workflows, each working on the objects whose primary identifier hashes to its index, so several
 * worker processes share one run.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  ContinueAsNew,
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { historyIsLong } from './history-budget';
import type { RunSliceResult } from '../activities/resource-runs';
import { durationToMs } from '../schema/config-basics';
import { exceededLimits } from '../model/safety';
import { SIMULATION_KEPT_FOR_MS } from '../model/simulation';
import { addStats, resourceRunInputSchema, type RunContinuation, type RunType, type ResourceRunInput } from '../schema/workflow-inputs';
import { markedOnFailure } from './failure-state';
import { parseWorkflowInput } from './workflow-input';
import { queries, searchAttributes, signals, workflowIds, type RunProgress } from './workflow-ids';

const runFailureTypes = ['TallyRunAlreadyRunning', 'TallyConfigurationError', 'TallyModelError', 'TallyInvalidInput'];

const steps = proxyActivities<Pick<Activities, 'beginRun' | 'beginSimulation' | 'completePendingOperations' | 'holdRun' | 'endRun'>>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: runFailureTypes },
});
// No attempt limit: while MongoDB or the resource is down the run waits, and goes on from its last page.
// Not eagerly dispatched to the worker running the workflow: a split run's slices go to any worker process.
const pages = proxyActivities<Pick<Activities, 'reconcileObjects' | 'reconcileUnseenShadows' | 'synchronizeHeld'>>({
  allowEagerDispatch: false,
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: runFailureTypes },
});

const DEFAULT_PAGE_SIZE = 1000;
/** Well under the ~2,000 events a run may hold before it continues as new. */
const HISTORY_EVENTS_BEFORE_CONTINUING = 1_000;

export interface RunSummary extends RunProgress {
  workflowId: string;
}

export async function reconcileResource(raw: unknown): Promise<RunSummary> {
  return markedOnFailure(() => resourceRun('recon', raw));
}

export async function importFromResource(raw: unknown): Promise<RunSummary> {
  return markedOnFailure(() => resourceRun('import', raw));
}

async function resourceRun(type: RunType, raw: unknown): Promise<RunSummary> {
  const workflowType = type === 'recon' ? 'reconcileResource' : 'importFromResource';
  const input = parseWorkflowInput(resourceRunInputSchema, raw, workflowType);
  const { workflowId } = workflowInfo();
  const run: RunContinuation = input.continuation ?? (await begin(type, input, workflowId));
  const simulated = !!run.simulation;
  const label = `${simulated ? 'simulated ' : ''}${typeLabel(type)}`;
  const pageSize = input.pageSize ?? run.settings?.pageSize ?? DEFAULT_PAGE_SIZE;
  const buckets = input.buckets ?? run.settings?.buckets ?? 1;
  const isBucket = !!run.bucket;
  const bucketStats = new Map<number, Record<string, number>>();
  let ended: 'finished' | 'failed' | undefined;
  /** While the run waits for approval: why. */
  let awaiting: string[] | null = null;
  let decided: NonNullable<RunContinuation['decision']> | null = null;

  const progress = (phase: RunProgress['phase'] = ended ?? run.phase): RunProgress => {
    const stats = [...bucketStats.values()].reduce(addStats, { ...run.stats });
    return {
      type,
      runId: run.runId,
      resource: run.resourceName,
      resourceOid: run.resourceOid,
      phase: awaiting ? 'awaiting-approval' : phase,
      startedAt: run.startedAt,
      total: run.total,
      seen: stats.seen ?? 0,
      unchanged: stats.unchanged ?? 0,
      synchronized: stats.synchronized ?? 0,
      errors: stats.errors ?? 0,
      stats,
      lastErrors: run.errors,
      ...(run.simulation ? { simulation: run.simulation.id } : {}),
      ...(awaiting ? { awaitingApproval: { reasons: awaiting, held: stats.held ?? 0 } } : {}),
      ...(run.decision ? { decision: run.decision } : {}),
    };
  };
  const report = () => {
    const p = progress();
    const of = p.total !== null ? ` of ~${p.total}` : '';
    setCurrentDetails(`${label} of ${p.resource}: ${p.phase}; ${p.seen}${of} seen, ${p.synchronized} synchronized, ${p.unchanged} unchanged, ${p.errors} errors`);
    if (isBucket) {
      void getExternalWorkflowHandle(run.bucket!.parentWorkflowId)
        .signal(signals.bucketProgress, { index: run.bucket!.index, stats: run.stats })
        .catch(() => undefined);
    }
  };
  setHandler(queries.progress, () => progress());
  setHandler(signals.bucketProgress, ({ index, stats }) => void bucketStats.set(index, stats));
  // Only a run that waits for a decision takes one.
  const decide = (approved: boolean) => (d?: { by?: string; reason?: string }) => {
    if (awaiting && !decided) decided = { approved, ...(d?.by ? { by: String(d.by) } : {}), ...(d?.reason ? { reason: String(d.reason) } : {}), at: new Date().toISOString() };
  };
  setHandler(signals.approve, decide(true));
  setHandler(signals.reject, decide(false));
  upsertSearchAttributes([
    { key: searchAttributes.resource, value: run.resourceOid },
    { key: searchAttributes.state, value: 'running' },
  ]);
  report();

  const scope = {
    runId: run.runId,
    type,
    resourceOid: run.resourceOid,
    workflowId,
    ...(run.bucket ? { bucket: { index: run.bucket.index, count: run.bucket.count } } : {}),
    ...(run.simulation ? { simulation: run.simulation } : {}),
    ...(run.safety && !run.simulation ? { safety: run.safety } : {}),
  };
  const absorb = (result: RunSliceResult) => {
    run.stats = result.stats;
    run.errors = [...run.errors, ...result.errors].slice(-20);
  };
  const goOnAsNew = async () => {
    if (historyIsLong(HISTORY_EVENTS_BEFORE_CONTINUING)) {
      await continueAsNew<typeof reconcileResource>({ ...input, continuation: run });
    }
  };

  // What comes after the resource was read: a real run that held objects decides about them first.
  const afterScan = (): RunContinuation['phase'] => (!simulated && !isBucket && (run.stats.held ?? 0) > 0 ? 'held' : 'finishing');
  try {
    if (run.phase === 'operations') {
      const done = await steps.completePendingOperations(simulated ? { resourceOid: run.resourceOid, scope } : { resourceOid: run.resourceOid });
      addStats(run.stats, done.stats);
      run.phase = 'objects';
      report();
    }
    if (!isBucket && buckets > 1 && (run.phase === 'objects' || run.phase === 'shadows')) {
      await runBuckets(type, run, buckets, pageSize, bucketStats);
      run.phase = afterScan();
    }
    while (run.phase === 'objects') {
      const result = await pages.reconcileObjects({ scope, stats: run.stats, pageSize, position: run.cursor, recordProgress: !isBucket });
      absorb(result);
      run.cursor = result.position;
      if (result.done) run.phase = type === 'recon' ? 'shadows' : afterScan();
      report();
      await goOnAsNew();
    }
    while (run.phase === 'shadows') {
      const result = await pages.reconcileUnseenShadows({ scope, stats: run.stats, pageSize, position: run.after, startedAt: run.startedAt, recordProgress: !isBucket });
      absorb(result);
      run.after = result.position;
      if (result.done) run.phase = afterScan();
      report();
      await goOnAsNew();
    }
    if (run.phase === 'held') {
      if (!run.decision) {
        const held = { deletes: run.stats.heldDeletes ?? 0, disables: run.stats.heldDisables ?? 0, modifies: run.stats.heldModifies ?? 0 };
        const reasons = exceededLimits(run.safety!, held);
        if (reasons.length === 0) run.decision = { approved: true, by: 'within the thresholds', at: new Date().toISOString() };
        else {
          await steps.holdRun({ runId: run.runId, type, resourceOid: run.resourceOid, resourceName: run.resourceName, workflowId, startedAt: run.startedAt, reasons, stats: run.stats });
          awaiting = reasons;
          upsertSearchAttributes([{ key: searchAttributes.state, value: 'awaiting-approval' }]);
          setCurrentDetails(
            `${label} of ${run.resourceName} holds ${run.stats.held} objects, nothing of them done: ${reasons.join('; ')}. ` +
              `See them: tally simulation show ${run.runId}. Decide: tally run approve ${workflowId} (or reject), or signal approve/reject here.`,
          );
          await condition(() => decided !== null);
          run.decision = decided!;
          awaiting = null;
          upsertSearchAttributes([{ key: searchAttributes.state, value: 'running' }]);
        }
      }
      if (run.decision.approved) {
        for (;;) {
          const result = await pages.synchronizeHeld({ scope, stats: run.stats, pageSize, position: run.heldAfter, recordProgress: true });
          absorb(result);
          run.heldAfter = result.position;
          report();
          if (result.done) break;
          await goOnAsNew();
        }
      } else run.stats.rejected = run.stats.held ?? 0;
      run.phase = 'finishing';
    }
    // A split run's errors were seen by its buckets only: the run document gets them now.
    const rejected = run.decision && !run.decision.approved ? `rejected${run.decision.by ? ` by ${run.decision.by}` : ''}${run.decision.reason ? ` (${run.decision.reason})` : ''}: the ${run.stats.held} held objects were not synchronized` : undefined;
    if (!isBucket) {
      await steps.endRun({ runId: run.runId, state: 'finished', stats: progress().stats, errors: buckets > 1 ? run.errors : [], ...(simulated ? { simulation: true } : {}), ...(rejected ? { message: rejected } : {}) });
    }
    ended = 'finished';
  } catch (e) {
    if (e instanceof ContinueAsNew) throw e;
    ended = 'failed';
    if (!isBucket) {
      await CancellationScope.nonCancellable(() =>
        steps.endRun({ runId: run.runId, state: 'failed', stats: progress().stats, message: e instanceof Error ? e.message : String(e), ...(simulated ? { simulation: true } : {}) }),
      );
    }
    throw e;
  }
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'done' }]);
  const summary = { ...progress(), workflowId };
  setCurrentDetails(`${label} of ${summary.resource} finished${simulated ? ` (simulation ${run.runId}: nothing was changed)` : ''}: ${summary.seen} seen, ${summary.synchronized} synchronized, ${summary.unchanged} unchanged, ${summary.errors} errors`);
  return summary;
}

async function begin(type: RunType, input: ReturnType<typeof resourceRunInputSchema.parse>, workflowId: string): Promise<RunContinuation> {
  const runId = uuid4();
  const startedAt = new Date().toISOString();
  const { resource } = input;
  const begun = input.simulate
    ? await steps.beginSimulation({ type, resource, runId, workflowId, startedAt, keepForMs: input.keepFor !== undefined ? durationToMs(input.keepFor) : SIMULATION_KEPT_FOR_MS })
    : await steps.beginRun({ type, resource, runId, workflowId, startedAt, ...(input.safety ? { safety: input.safety } : {}) });
  return {
    runId,
    resourceOid: begun.resourceOid,
    resourceName: begun.resourceName,
    startedAt,
    total: begun.total,
    settings: begun.settings,
    phase: 'operations',
    stats: {},
    errors: [],
    ...('expireAt' in begun ? { simulation: { id: runId, expireAt: String(begun.expireAt) } } : {}),
    ...(begun.safety ? { safety: begun.safety } : {}),
  };
}

/** Phases two and three shared by child workflows, one per bucket; their counts add up to the run's. */
async function runBuckets(type: RunType, run: RunContinuation, count: number, pageSize: number, bucketStats: Map<number, Record<string, number>>): Promise<void> {
  const parentWorkflowId = workflowInfo().workflowId;
  const workflow = type === 'recon' ? reconcileResource : importFromResource;
  const children = Array.from({ length: count }, (_, index) => {
    const childInput: ResourceRunInput = {
      resource: run.resourceOid,
      pageSize,
      continuation: { ...run, phase: 'objects', cursor: undefined, after: undefined, stats: {}, errors: [], bucket: { index, count, parentWorkflowId } },
    };
    return executeChild(workflow, { workflowId: workflowIds.runBucket(parentWorkflowId, index), args: [childInput] }).then((summary) => {
      bucketStats.set(index, summary.stats);
      run.errors = [...run.errors, ...summary.lastErrors].slice(-20);
    });
  });
  await Promise.all(children);
  for (const s of bucketStats.values()) addStats(run.stats, s);
  bucketStats.clear();
}

function typeLabel(type: RunType): string {
  return type === 'recon' ? 'reconciliation' : 'import';
}

