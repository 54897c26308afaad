/**
 * Activities of reconciliation and import runs. The long phases work page after page inside one
 * activity, heartbeating where they are: an attempt on another worker goes on from the last page done.
 * Each call returns after a few seconds so the workflow's progress (its query, its current details)
 * stays fresh, and its history holds a handful of events per thousand objects.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { RunError, RunStats } from '../repository/repository';
import { addStats, type RunType } from '../schema/workflow-inputs';
import type { SafetyConfig } from '../schema/config';
import { searchResourceObjects } from '../provisioning';
import type { SearchPage } from '../provisioning';
import { reconcileObjectsPage } from '../sync/reconciliation/objects-page';
import { completePendingOperations } from '../sync/reconciliation/operations-phase';
import { recordHold, synchronizeHeldPage } from '../sync/reconciliation/held-operations';
import { reconcileUnseenShadows } from '../sync/reconciliation/shadows-phase';
import { beginRun, beginSimulation, endRun, recordRunProgress, RunAlreadyRunningError } from '../sync/reconciliation/runs';
import type { RunScope } from '../sync/reconciliation/run-scope';
import { nowOf, type SyncDeps } from '../sync/sync-deps';
import { failFastOnConfiguration } from './failures';

export const runFailureTypes = { alreadyRunning: 'TallyRunAlreadyRunning' } as const;

/** How long one call of a paging activity works before it reports back. @default 5000 */
export const RUN_SLICE_MS = 5_000;
/** How often a running run's counts are written to its run document. */
const PROGRESS_RECORD_MS = 1_000;
/** Errors a run keeps in its workflow state (the run document keeps the last 100). */
const ERRORS_KEPT = 20;

export interface RunSliceInput {
  scope: RunScope;
  /** The run's counts so far (this call adds to them). */
  stats: RunStats;
  pageSize: number;
  /** objects: the search cursor to go on from (absent: from the start). shadows: the last shadow oid done. */
  position?: string;
  /** shadows phase: objects created after this weren't there to be seen. */
  startedAt?: string;
  /** Write the counts to the run document as pages finish (not for bucket children). */
  recordProgress: boolean;
}

export interface RunSliceResult {
  stats: RunStats;
  errors: RunError[];
  /** Where the next call goes on; undefined with done. */
  position?: string;
  done: boolean;
}

interface SliceCheckpoint {
  position?: string;
  done?: boolean;
  stats: RunStats;
  errors: RunError[];
}

/**
 * Runs `step` from the checkpoint of an earlier attempt (or the input), heartbeating after each page,
 * until it is done or the slice's time is up.
 */
async function slice(
  deps: SyncDeps,
  input: RunSliceInput,
  phase: string,
  step: (position: string | undefined) => Promise<{ stats: RunStats; errors: RunError[]; position?: string }>,
): Promise<RunSliceResult> {
  const context = Context.current();
  const resumed = context.info.heartbeatDetails as SliceCheckpoint | undefined;
  const checkpoint: SliceCheckpoint = resumed ?? { position: input.position, stats: { ...input.stats }, errors: [] };
  const deadline = Date.now() + RUN_SLICE_MS;
  const unrecorded: RunError[] = [];
  let nextRecord = Date.now() + PROGRESS_RECORD_MS;
  // An earlier attempt finished the phase but died before reporting it.
  if (checkpoint.done) return { stats: checkpoint.stats, errors: checkpoint.errors, done: true };
  for (;;) {
    const piece = await step(checkpoint.position);
    addStats(checkpoint.stats, piece.stats);
    checkpoint.errors = [...checkpoint.errors, ...piece.errors].slice(-ERRORS_KEPT);
    checkpoint.position = piece.position;
    checkpoint.done = !piece.position;
    context.heartbeat(checkpoint);
    unrecorded.push(...piece.errors);
    const end = !checkpoint.position || Date.now() >= deadline;
    if (input.recordProgress && (end || unrecorded.length > 0 || Date.now() >= nextRecord)) {
      await recordRunProgress(deps, input.scope, { phase, stats: checkpoint.stats, errors: unrecorded.splice(0) });
      nextRecord = Date.now() + PROGRESS_RECORD_MS;
    }
    if (!checkpoint.position) return { stats: checkpoint.stats, errors: checkpoint.errors, done: true };
    if (end) return { stats: checkpoint.stats, errors: checkpoint.errors, position: checkpoint.position, done: false };
  }
}

/**
 * Pages of resource objects read ahead, by cursor. A slice that ends leaves its read-ahead here for the
 * next slice on this worker; reading the same cursor twice would make the connector search again.
 */
function pageReader(deps: SyncDeps, capacity = 16) {
  const ahead = new Map<string, Promise<SearchPage>>();
  const read = (resourceOid: string, cursor: string | undefined, pageSize: number) => searchResourceObjects(deps, resourceOid, { cursor, pageSize });
  return {
    take(resourceOid: string, cursor: string | undefined, pageSize: number): Promise<SearchPage> {
      const key = `${resourceOid}\u0000${cursor}`;
      const found = ahead.get(key);
      ahead.delete(key);
      return found ?? read(resourceOid, cursor, pageSize);
    },
    prefetch(resourceOid: string, cursor: string, pageSize: number): void {
      const page = read(resourceOid, cursor, pageSize);
      page.catch(() => undefined); // a failed read-ahead is read again, and fails there, when taken
      ahead.set(`${resourceOid}\u0000${cursor}`, page);
      while (ahead.size > capacity) ahead.delete(ahead.keys().next().value!);
    },
  };
}

export function createResourceRunActivities(deps: SyncDeps) {
  const pages = pageReader(deps);
  return {
    /** Makes this the resource's running reconciliation or import; refuses when another one runs. */
    async beginRun(input: { type: RunType; resource: string; runId: string; workflowId: string; startedAt: string; safety?: Partial<SafetyConfig> }) {
      try {
        return await failFastOnConfiguration(() => beginRun(deps, input));
      } catch (e) {
        if (e instanceof RunAlreadyRunningError) {
          throw ApplicationFailure.create({ message: e.message, type: runFailureTypes.alreadyRunning, nonRetryable: true, details: [{ workflowId: e.running.workflowId }] });
        }
        throw e;
      }
    },
    /** A simulated run begins: its simulation's document (no running slot of the resource is taken). */
    async beginSimulation(input: { type: RunType; resource: string; runId: string; workflowId: string; startedAt: string; keepForMs: number }) {
      return failFastOnConfiguration(() => beginSimulation(deps, input));
    },
    /** Phase one: pending operations finished (their workflows woken or started), long-gone shadows removed. */
    async completePendingOperations(input: { resourceOid: string; scope?: RunScope }) {
      return failFastOnConfiguration(() => completePendingOperations(deps, input.scope ?? input));
    },
    /** Phase two: the resource's objects, page after page. */
    async reconcileObjects(input: RunSliceInput): Promise<RunSliceResult> {
      return failFastOnConfiguration(() =>
        slice(deps, input, 'objects', async (cursor) => {
          const page = await pages.take(input.scope.resourceOid, cursor, input.pageSize);
          // The next page is read while this one is compared (the resource and MongoDB work on other cores).
          if (page.cursor) pages.prefetch(input.scope.resourceOid, page.cursor, input.pageSize);
          const piece = await reconcileObjectsPage(deps, input.scope, page.objects);
          return { ...piece, position: page.cursor };
        }),
      );
    },
    /** Phase three: shadows of objects the run did not see. */
    async reconcileUnseenShadows(input: RunSliceInput): Promise<RunSliceResult> {
      return slice(deps, input, 'shadows', async (after) => {
        const piece = await reconcileUnseenShadows(deps, input.scope, { after, startedAt: input.startedAt!, limit: input.pageSize });
        return { ...piece, position: piece.after };
      });
    },
    /** The run holds: what it held is shown as a simulation under the run's id, and the run document says it waits. */
    async holdRun(input: { runId: string; type: RunType; resourceOid: string; resourceName: string; workflowId: string; startedAt: string; reasons: string[]; stats: RunStats }) {
      await recordHold(deps, input);
      await deps.repo.runs.recordProgress(input.runId, { phase: 'awaiting-approval', stats: input.stats });
    },
    /** The held objects, synchronized page after page (the run was approved, or stayed within its thresholds). */
    async synchronizeHeld(input: RunSliceInput): Promise<RunSliceResult> {
      return slice(deps, input, 'held', async (after) => {
        const piece = await synchronizeHeldPage(deps, input.scope, { after, limit: input.pageSize });
        return { ...piece, position: piece.after };
      });
    },
    async endRun(input: { runId: string; state: 'finished' | 'failed'; stats: RunStats; message?: string; errors?: RunError[]; simulation?: boolean }) {
      await endRun(deps, { ...input, finishedAt: nowOf(deps) });
    },
  };
}
