/**
 * Tally's own metrics (prom-client), one registry per process. Counters and histograms are incremented
 * where the work happens (a label lookup, no allocation per change); what needs the repository is read
 * at scrape time through the `RepositoryGauges` source a process registers, with a short cache.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const metricsRegistry = new Registry();
// The process's CPU, resident memory, heap and event-loop lag, under prom-client's standard names.
collectDefaultMetrics({ register: metricsRegistry });

export const changesApplied = new Counter({
  name: 'tally_changes_applied_total',
  help: 'Resource object changes the synchronization routine applied, by resource, situation and channel.',
  labelNames: ['resource', 'situation', 'channel'] as const,
  registers: [metricsRegistry],
});

export const changesHandedOver = new Counter({
  name: 'tally_changes_handed_over_total',
  help: 'Changes live sync failed to apply and handed to their own processChange workflow to be retried.',
  labelNames: ['resource'] as const,
  registers: [metricsRegistry],
});

export const liveSyncPolls = new Counter({
  name: 'tally_live_sync_polls_total',
  help: 'Live sync polls of a resource (its changelog and the change events sent to it).',
  labelNames: ['resource'] as const,
  registers: [metricsRegistry],
});

export const thresholdHolds = new Counter({
  name: 'tally_threshold_holds_total',
  help: "Times live sync or a run stopped at a resource's thresholds to wait for an operator's decision.",
  labelNames: ['resource', 'source'] as const,
  registers: [metricsRegistry],
});

export const connectorErrors = new Counter({
  name: 'tally_connector_errors_total',
  help: 'Connector calls that failed, by resource and error kind (communication, not-found, schema-violation ...).',
  labelNames: ['resource', 'kind'] as const,
  registers: [metricsRegistry],
});

export const connectorOperationSeconds = new Histogram({
  name: 'tally_connector_operation_seconds',
  help: 'How long connector calls took, by resource and operation (get, search, modify, changesSince ...).',
  labelNames: ['resource', 'operation'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/** When each resource's live sync first read a change it has not applied yet; absent when it is caught up. */
const behindSince = new Map<string, number>();

/** Live sync of `resource` read changes at `sinceMs` it has not applied yet (an earlier, older mark stays). */
export function liveSyncBehind(resource: string, sinceMs: number): void {
  const since = behindSince.get(resource);
  if (since === undefined || Number.isNaN(since)) behindSince.set(resource, sinceMs);
}

/** Live sync of `resource` applied (or handed over) everything it read and nothing more waits. */
export function liveSyncCaughtUp(resource: string): void {
  behindSince.set(resource, Number.NaN);
}

new Gauge({
  name: 'tally_live_sync_lag_seconds',
  help: 'Seconds since live sync read the oldest change of the resource it has not applied yet; 0 when it is caught up.',
  labelNames: ['resource'] as const,
  registers: [metricsRegistry],
  collect() {
    this.reset();
    const now = Date.now();
    for (const [resource, since] of behindSince) this.set({ resource }, Number.isNaN(since) ? 0 : (now - since) / 1000);
  },
});

/** What the gauges read from the repository: one snapshot for all resources. */
export interface RepositoryGaugeValues {
  resources: Array<{
    resource: string;
    pendingOperations: number;
    oldestPendingOperationSeconds: number;
    changesRetrying: number;
    changesDeadLettered: number;
    /** Seconds since live sync last moved its changelog position; null when it never ran. */
    liveSyncTokenAgeSeconds: number | null;
  }>;
  runs: Array<{ resource: string; type: string; seen: number; expected: number | null; etaSeconds: number | null }>;
}

/** How long a scrape's repository snapshot is used again: scrapes of several Prometheus servers share it. */
const REPOSITORY_GAUGES_CACHE_MS = 5_000;

let repositorySource: (() => Promise<RepositoryGaugeValues>) | undefined;
let cached: { at: number; values: Promise<RepositoryGaugeValues> } | undefined;

/** Where this process's repository gauges come from (the worker and the API register one at their start). */
export function setRepositoryGaugeSource(source: (() => Promise<RepositoryGaugeValues>) | undefined): void {
  repositorySource = source;
  cached = undefined;
}

async function repositoryValues(): Promise<RepositoryGaugeValues | undefined> {
  if (!repositorySource) return undefined;
  if (!cached || Date.now() - cached.at > REPOSITORY_GAUGES_CACHE_MS) {
    const values = repositorySource();
    cached = { at: Date.now(), values };
    values.catch(() => (cached = undefined));
  }
  return cached.values.catch(() => undefined);
}

/** A gauge whose values are read from the repository snapshot at scrape time. */
function repositoryGauge<L extends string>(name: string, help: string, labelNames: readonly L[], values: (v: RepositoryGaugeValues) => Array<[Record<L, string>, number]>) {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [metricsRegistry],
    async collect() {
      const snapshot = await repositoryValues();
      this.reset();
      if (snapshot) for (const [labels, value] of values(snapshot)) this.set(labels, value);
    },
  });
}

const perResource = (pick: (r: RepositoryGaugeValues['resources'][number]) => number | null) => (v: RepositoryGaugeValues) =>
  v.resources.flatMap((r): Array<[{ resource: string }, number]> => {
    const value = pick(r);
    return value === null ? [] : [[{ resource: r.resource }, value]];
  });
const perRun = (pick: (r: RepositoryGaugeValues['runs'][number]) => number | null) => (v: RepositoryGaugeValues) =>
  v.runs.flatMap((r): Array<[{ resource: string; type: string }, number]> => {
    const value = pick(r);
    return value === null ? [] : [[{ resource: r.resource, type: r.type }, value]];
  });

repositoryGauge('tally_pending_operations', 'Accounts with operations waiting to be done on the resource (pending operations).', ['resource'], perResource((r) => r.pendingOperations));
repositoryGauge('tally_pending_operation_oldest_age_seconds', "Age of the resource's oldest pending operation; 0 when there is none.", ['resource'], perResource((r) => r.oldestPendingOperationSeconds));
repositoryGauge('tally_changes_retrying', 'Changes of the resource being retried by their processChange workflow.', ['resource'], perResource((r) => r.changesRetrying));
repositoryGauge('tally_changes_dead_lettered', "Changes of the resource held as failed, waiting for an operator's retry or discard.", ['resource'], perResource((r) => r.changesDeadLettered));
repositoryGauge('tally_live_sync_token_age_seconds', 'Seconds since live sync last moved its position in the resource\'s changelog.', ['resource'], perResource((r) => r.liveSyncTokenAgeSeconds));
repositoryGauge('tally_run_objects_seen', 'Objects a running reconciliation or import has seen so far.', ['resource', 'type'], perRun((r) => r.seen));
repositoryGauge('tally_run_objects_expected', 'Objects a running reconciliation or import expects (the live shadows when it began).', ['resource', 'type'], perRun((r) => r.expected));
repositoryGauge('tally_run_eta_seconds', 'Estimated seconds until a running reconciliation or import has seen every object it expects.', ['resource', 'type'], perRun((r) => r.etaSeconds));
