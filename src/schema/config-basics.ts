/**
 * The values every configuration object uses (references, durations, channels and situations, dates,
 * thresholds, the failed-change policy): small schemas with no other schema under them, so the workflows'
 * inputs can use them without building the whole configuration's schemas.
 */
import { z } from 'zod';

/** One object or a list, normalised to a list (the seeds show single elements where a list is allowed). */
export const oneOrMany = <T extends z.ZodTypeAny>(item: T) =>
  z.preprocess((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]), z.array(item));

/** A reference to another configuration object: its oid or its name; `{ oid }` as in the seeds' XML. */
export const objectRefSchema = z.preprocess(
  (v) => (v && typeof v === 'object' && 'oid' in (v as object) ? (v as { oid: unknown }).oid : v),
  z.string().min(1, 'expected an oid or a name'),
);

/** Durations as `500ms`, `30s`, `5m`, `1h` or a number of milliseconds. */
/** A duration as text, as a URL's query gives one. */
export const durationTextSchema = z.string().regex(/^[0-9]+(ms|s|m|h|d)$/, 'expected a duration such as 500ms, 30s, 5m, 1h or 7d');
export const durationSchema = z.union([z.number().int().nonnegative(), durationTextSchema]);
export type Duration = z.infer<typeof durationSchema>;

export function durationToMs(d: Duration): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d)!;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}


export const situationSchema = z.enum(['linked', 'unlinked', 'unmatched', 'disputed', 'deleted']);
export type Situation = z.infer<typeof situationSchema>;

export const channelSchema = z.enum(['live-sync', 'recon', 'discovery', 'import', 'user', 'api', 'scim']);
export type Channel = z.infer<typeof channelSchema>;

export const dateTimeRule = 'expected a date and time with its zone, such as 2026-12-01T08:00:00Z';
/** An ISO 8601 date and time with a zone (`Z` or `+01:00`), so it means one instant wherever it is read. */
/** A date and time with its zone (seconds optional); each field in its range, so the pattern alone says it in a JSON Schema. */
export const dateTimePattern = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$/;
export const isDateTime = (s: string) => dateTimePattern.test(s) && !Number.isNaN(Date.parse(s));

/**
 * A threshold of a run: at most this many operations of a kind (a number), or this share of the
 * resource's accounts ("5%"); "off": no threshold.
 */
export const thresholdSchema = z.union([
  z.number().int().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?%$/, 'expected a number, a share such as "5%", or "off"'),
  z.literal('off'),
]);
export type Threshold = z.infer<typeof thresholdSchema>;

/**
 * Thresholds that stop a run before the damage: a reconciliation or import that would delete, disable or
 * modify more accounts than this executes none of them and waits for `tally run approve|reject`; live
 * sync counts per sliding hour. Defaults: 500 deletes and 500 disables (Entra's accidental-deletion
 * default), modifications not counted.
 */
export const safetySchema = z
  .object({
    maxDeletes: thresholdSchema.default(500),
    maxDisables: thresholdSchema.default(500),
    maxModifies: thresholdSchema.default('off'),
  })
  .strict();
export type SafetyConfig = z.infer<typeof safetySchema>;
export const DEFAULT_SAFETY: SafetyConfig = { maxDeletes: 500, maxDisables: 500, maxModifies: 'off' };

/**
 * A change the synchronization routine keeps failing on (not an outage, not a configuration error: a bug,
 * data the repository or the resource refuses): tried again with this backoff, then held as failed until
 * an operator retries or discards it.
 */
export const failedChangeSchema = z
  .object({
    /** Attempts before the change is held as failed. */
    maxAttempts: z.number().int().positive().default(10),
    backoff: z
      .object({
        initialInterval: durationSchema.default('1s'),
        backoffCoefficient: z.number().min(1).default(2),
        maximumInterval: durationSchema.default('5m'),
      })
      .strict()
      .default({ initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5m' }),
    /** No automatic attempt once the change has been failing this long. */
    maxAge: durationSchema.default('24h'),
  })
  .strict();
export type FailedChangeConfig = z.infer<typeof failedChangeSchema>;

/** `consistency.failedChange` in milliseconds, as processChange retries by it. */
export interface FailedChangePolicy {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maxAgeMs: number;
}

export function failedChangePolicy(config: FailedChangeConfig = failedChangeSchema.parse({})): FailedChangePolicy {
  return {
    maxAttempts: config.maxAttempts,
    initialIntervalMs: durationToMs(config.backoff.initialInterval),
    backoffCoefficient: config.backoff.backoffCoefficient,
    maximumIntervalMs: durationToMs(config.backoff.maximumInterval),
    maxAgeMs: durationToMs(config.maxAge),
  };
}
