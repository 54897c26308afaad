/** Reconciliation and import runs, and the stuck operations an operator gave up. */
import type { Collection, Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';
import { byId, collectionNames, noId, withId } from './documents';
import type { Versioned } from './versioned';

/** One object's failure in a reconciliation or import run, kept for people to read. */
export interface RunError {
  /** The object's name (secondary identifier), else its primary identifier. */
  object: string;
  message: string;
  at: string;
}

/** Counters of a run; every key is a number of objects (or operations). */
export type RunStats = Record<string, number>;

export interface RunDoc extends Versioned {
  oid: string;
  type: 'recon' | 'import';
  resourceRef: string;
  resourceName: string;
  workflowId: string;
  startedAt: string;
  finishedAt?: string;
  /** Only one run per resource is `running` (a unique index says so). */
  state: 'running' | 'finished' | 'failed' | 'abandoned';
  phase: string;
  stats: RunStats;
  /** The last errors (at most 100); `stats.errors` counts them all. */
  errors: RunError[];
  message?: string;
}

/** An operator gave up a stuck operation (one run of its workflow): `tally status` no longer lists it. */
export interface OperationCancellationDoc {
  /** `<workflowId>/<runId>` */
  _id: string;
  workflowId: string;
  runId: string;
  cancelledAt: string;
  reason: string;
}

export class RunStore {
  private readonly runs: Collection<RunDoc>;
  private readonly operationCancellations: Collection<OperationCancellationDoc>;

  constructor(db: Db) {
    this.runs = db.collection(collectionNames.runs);
    this.operationCancellations = db.collection(collectionNames.operationCancellations);
  }

  async ensureIndexes(): Promise<void> {
    await Promise.all([
      this.runs.createIndex({ resourceRef: 1 }, { unique: true, partialFilterExpression: { state: 'running' }, name: 'one_running_run_per_resource' }),
      this.runs.createIndex({ resourceRef: 1, startedAt: -1 }, { name: 'runs_by_resource' }),
    ]);
  }

  /** Stores a new running run, unless another is running on the resource: then that one is returned. */
  async start(run: RunDoc): Promise<{ started: true } | { started: false; running: RunDoc }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.runs.insertOne(withId(run) as unknown as RunDoc);
        return { started: true };
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        const existing = await this.get(run.oid);
        if (existing) return existing.state === 'running' ? { started: true } : { started: false, running: existing };
        const running = await this.runs.findOne({ resourceRef: run.resourceRef, state: 'running' }, noId);
        if (running) return { started: false, running };
      }
    }
    throw new Error(`could not start a run on resource ${run.resourceRef}`);
  }

  async get(oid: string): Promise<RunDoc | null> {
    return this.runs.findOne(byId(oid), noId);
  }

  async running(resourceRef: string): Promise<RunDoc | null> {
    return this.runs.findOne({ resourceRef, state: 'running' }, noId);
  }

  /** Records a running run's phase and counts so far. */
  async recordProgress(oid: string, progress: { phase: string; stats: RunStats; errors?: RunError[] }): Promise<void> {
    await this.runs.updateOne(byId(oid), {
      $set: { phase: progress.phase, stats: progress.stats },
      ...(progress.errors?.length ? { $push: { errors: { $each: progress.errors, $slice: -100 } } } : {}),
      $inc: { version: 1 },
    });
  }

  /** Ends a run (finished, failed, or abandoned by a dead workflow): the resource is free for the next one. */
  async end(
    oid: string,
    end: { state: Exclude<RunDoc['state'], 'running'>; finishedAt: string; stats?: RunStats; message?: string; errors?: RunError[] },
  ): Promise<void> {
    await this.runs.updateOne(byId(oid), {
      $set: { state: end.state, phase: end.state, finishedAt: end.finishedAt, ...(end.stats ? { stats: end.stats } : {}), ...(end.message ? { message: end.message } : {}) },
      ...(end.errors?.length ? { $push: { errors: { $each: end.errors, $slice: -100 } } } : {}),
      $inc: { version: 1 },
    });
  }

  /** Runs, newest first. */
  async list(options: { resourceRef?: string; limit: number }): Promise<RunDoc[]> {
    return this.runs
      .find(options.resourceRef ? { resourceRef: options.resourceRef } : {}, noId)
      .sort({ startedAt: -1 })
      .limit(options.limit)
      .toArray();
  }

  /** Records that a stuck workflow run was given up (idempotent). */
  async recordCancellation(cancellation: Omit<OperationCancellationDoc, '_id'>): Promise<void> {
    const _id = `${cancellation.workflowId}/${cancellation.runId}`;
    await this.operationCancellations.updateOne({ _id }, { $setOnInsert: { _id, ...cancellation } }, { upsert: true });
  }

  /** Which of these workflow runs (`<workflowId>/<runId>`) an operator gave up. */
  async cancelledOperations(runKeys: readonly string[]): Promise<Set<string>> {
    if (runKeys.length === 0) return new Set();
    const found = await this.operationCancellations.find({ _id: { $in: [...runKeys] } }, { projection: { _id: 1 } }).toArray();
    return new Set(found.map((d) => d._id));
  }
}
