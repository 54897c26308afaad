/** Process settings from the environment, validated once at start. */
import { z } from 'zod';
import { logLevels } from '../observability/logger';

export const settingsSchema = z.object({
  /** Temporal frontend. @default '127.0.0.1:7233' */
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  /** @default 'default' */
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Task queue of Tally's worker. @default 'tally' */
  TALLY_TASK_QUEUE: z.string().default('tally'),
  /** MongoDB (>= 6) connection string. @default 'mongodb://127.0.0.1:27017/' */
  MONGODB_URI: z.string().default('mongodb://127.0.0.1:27017/'),
  /** @default 'tally' */
  TALLY_DATABASE: z.string().default('tally'),
  /** Bearer token the HTTP API requires. */
  TALLY_API_TOKEN: z.string().optional(),
  /** @default 8080 */
  TALLY_API_PORT: z.coerce.number().int().positive().default(8080),
  /** @default '127.0.0.1' */
  TALLY_API_HOST: z.string().default('127.0.0.1'),
  /** Change events waiting for one resource past which `POST /api/v1/changes` answers 429. @default 100000 */
  TALLY_MAX_EVENT_BACKLOG: z.coerce.number().int().positive().default(100_000),
  /**
   * History events a workflow waiting for a resource (provisionAccount, processChange) gathers before it
   * goes on waiting in a fresh run, well below Temporal's 51,200-event limit: a liveness test every 15 s
   * adds some 60,000 events a day. @default 2000
   */
  TALLY_WAITING_HISTORY_EVENTS: z.coerce.number().int().min(50).default(2_000),
  /**
   * How often a worker looks for stranded work (operations whose executor's claim ran out, users whose
   * provisioning never ran after a change) and hands it to its workflow. @default 10000
   */
  TALLY_STRANDED_WORK_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * How long an executor's claim on a pending operation lasts without renewal (renewed every third of it
   * while it works); work whose executor died is taken over once this has passed, and a user whose
   * provisioning never ran after a change is handed over after the same time. @default 30000
   */
  TALLY_CLAIM_LEASE_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** Entries below this level are not logged. @default 'info' */
  TALLY_LOG_LEVEL: z.enum(logLevels).default('info'),
  /** `json` (one object per line) or `text` (readable); json unless TALLY_DEV=1. */
  TALLY_LOG_FORMAT: z.enum(['json', 'text']).optional(),
  /** Port of the worker's Prometheus endpoint (`/metrics`, Tally's own metrics); none when unset. */
  TALLY_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Port of the Temporal SDK's own Prometheus endpoint in the worker (task slots, poll and schedule-to-start latency); none when unset. */
  TALLY_TEMPORAL_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** Address the worker's two metrics endpoints listen on. @default '127.0.0.1' */
  TALLY_METRICS_HOST: z.string().default('127.0.0.1'),
});
export type Settings = z.infer<typeof settingsSchema>;

export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
