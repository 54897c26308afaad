/** One line that says how far a reconciliation or import run is: for a terminal's progress bar and for logs. */
import type { RunProgress } from '../workflows/workflow-ids';
import { runPace } from '../admin/resource-runs';

const BAR_WIDTH = 24;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

/** `[#####-----] 4210/~10000 seen, 12 synchronized, 4198 unchanged, 0 errors, 1050/s, ETA 6s (objects)` */
export function formatRunProgress(p: RunProgress, nowMs: number): string {
  const { rate, total, etaSeconds } = runPace(p, nowMs);
  const filled = total ? Math.round((p.seen / total) * BAR_WIDTH) : 0;
  const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ` : '';
  const eta = etaSeconds !== null ? `, ETA ${duration(etaSeconds)}` : '';
  return `${bar}${p.seen}${total ? `/~${total}` : ''} seen, ${p.synchronized} synchronized, ${p.unchanged} unchanged, ${p.errors} errors, ${Math.round(rate)}/s${eta} (${p.phase})`;
}
