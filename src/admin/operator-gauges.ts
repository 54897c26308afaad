/**
 * What the metrics endpoints' repository gauges show, read at scrape time: per resource its pending
 * operations, its changes retried or held as failed, the age of live sync's position; the progress of
 * running reconciliations and imports (as their workflows report it).
 */
import type { RepositoryGaugeValues } from '../observability/metrics';
import type { Services } from '../runtime/services';
import { runPace, runProgress } from './resource-runs';

export async function operatorGaugeValues(services: Services, nowMs = Date.now()): Promise<RepositoryGaugeValues> {
  const { repo } = services;
  const [{ resources }, pending] = await Promise.all([repo.config.recentSnapshot(), repo.shadows.pendingOperationsByResource()]);
  const ageSeconds = (at: string | undefined) => (at ? Math.max(0, (nowMs - Date.parse(at)) / 1000) : null);
  const perResource = await Promise.all(
    resources.map(async (resource) => {
      const [held, token, run] = await Promise.all([repo.liveSync.countHeldChanges(resource.oid), repo.liveSync.token(resource.oid), repo.runs.running(resource.oid)]);
      const operations = pending.get(resource.oid);
      const progress = run ? await runProgress(services, run.workflowId) : null;
      const pace = progress ? runPace(progress, nowMs) : null;
      return {
        gauges: {
          resource: resource.name,
          pendingOperations: operations?.operations ?? 0,
          oldestPendingOperationSeconds: ageSeconds(operations?.oldestRequest) ?? 0,
          changesRetrying: held.retrying,
          changesDeadLettered: held.failed,
          liveSyncTokenAgeSeconds: ageSeconds(token?.updatedAt),
        },
        run: run && progress && pace ? { resource: resource.name, type: run.type, seen: progress.seen, expected: pace.total, etaSeconds: pace.etaSeconds } : null,
      };
    }),
  );
  return { resources: perResource.map((r) => r.gauges), runs: perResource.flatMap((r) => (r.run ? [r.run] : [])) };
}
