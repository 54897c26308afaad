import type { RunError, RunStats } from '../../repository/repository';
import { addStats, type RunType } from '../../schema/workflow-inputs';
import type { SafetyLimits } from '../../model';

/** What one piece of a reconciliation or import run works on. */
export interface RunScope {
  runId: string;
  type: RunType;
  resourceOid: string;
  /** A bucket child works only on the objects whose primary identifier hashes to its index. */
  bucket?: { index: number; count: number };
  workflowId?: string;
  /** A simulated run: its simulation, and when its results expire (ISO). Nothing is written but them. */
  simulation?: { id: string; expireAt: string };
  /** A real run's thresholds: objects whose operations they count are held until the run decides. */
  safety?: SafetyLimits;
}

/** What a piece of a run did: counts and the errors of single objects (which never stop the run). */
export interface RunPieceResult {
  stats: RunStats;
  errors: RunError[];
}

export function count(stats: RunStats, key: string, n = 1): void {
  stats[key] = (stats[key] ?? 0) + n;
}

export function objectError(object: string, e: unknown, now: string): RunError {
  return { object, message: e instanceof Error ? e.message : String(e), at: now };
}

export function addResult(into: RunPieceResult, from: RunPieceResult): void {
  addStats(into.stats, from.stats);
  into.errors.push(...from.errors);
}
