/**
 * Workflow inputs: each workflow takes ONE JSON object (the Temporal UI passes exactly one argument).
 * Every workflow loads this module when it starts, so each schema is built on its first use (`z.lazy`): a
 * workflow builds its own input's schema and no other.
 */
import { z } from 'zod';
import { channelSchema, durationSchema, thresholdSchema, type Channel } from './config-basics';
import { assignmentSchema } from './assignments';
import { changeTypeSchema, itemDeltaSchema, resourceChangeSchema, type ResourceChange } from './objects';

export const provisionUserInputSchema = z.lazy(() =>
  z
    .object({
      userOid: z.string().min(1),
      channel: channelSchema.default('user'),
      /** User paths this change touched (for normal-strength mappings); absent = recompute everything. */
      changedUserPaths: z.array(z.string()).optional(),
      removedAssignments: z.array(assignmentSchema).optional(),
      /** Assignments this change added (their constructions' normal mappings apply); absent = unknown. */
      addedAssignments: z.array(assignmentSchema).optional(),
      /** Identifies one request, so a repeated signal for it is recognised and ignored. */
      requestId: z.string().optional(),
    })
    .strict(),
);
export type ProvisionUserInput = z.input<typeof provisionUserInputSchema>;

/** `provisionRole`: recompute a role's own projection (its group); `{ "roleOid": "<oid>" }` is enough. */
export const provisionRoleInputSchema = z.lazy(() =>
  z
    .object({
      roleOid: z.string().min(1, 'oid of the role'),
      channel: channelSchema.default('user'),
      /** Assignments of the role this change removed: the entitlements they asked for go. */
      removedAssignments: z.array(assignmentSchema).optional(),
      /** Identifies one request, so a repeated signal for it is recognised and ignored. */
      requestId: z.string().optional(),
    })
    .strict(),
);
export type ProvisionRoleInput = z.input<typeof provisionRoleInputSchema>;

/** `activationTimer`: recompute the user when his validity boundary `at` passes. */
export const activationTimerInputSchema = z.lazy(() =>
  z
    .object({
      userOid: z.string().min(1),
      /** The next validFrom or validTo, an ISO date and time. */
      at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO date and time'),
    })
    .strict(),
);
export type ActivationTimerInput = z.input<typeof activationTimerInputSchema>;

/** A wait for a resource that goes on in a fresh run: what is left of it, and what it waits for. */
export const resumeWaitSchema = z.lazy(() =>
  z.object({ remainingMs: z.number().int().min(1), details: z.string() }).strict(),
);
export type ResumeWait = z.infer<typeof resumeWaitSchema>;

export const provisionAccountInputSchema = z.lazy(() =>
  z
    .object({
      shadowOid: z.string().min(1),
      resourceOid: z.string().min(1).optional(),
      /** The rest of a wait for the resource that an earlier run began (carried across continue-as-new). */
      resumeWait: resumeWaitSchema.optional(),
    })
    .strict(),
);
export type ProvisionAccountInput = z.input<typeof provisionAccountInputSchema>;

export const processChangeInputSchema = z.lazy(() =>
  resourceChangeSchema.refine(
    (c) => !!(c.primaryIdentifier || c.secondaryIdentifier || c.currentObject),
    { message: 'a change needs primaryIdentifier, secondaryIdentifier or currentObject to find the resource object' },
  ),
);
export type ProcessChangeInput = z.input<typeof processChangeInputSchema>;

/**
 * `processChange` going on in a fresh run (continue-as-new) while it waits for a resource: the change it
 * waits with, the changes signalled after it, the outcomes so far, and its place in the resource's backoff.
 */
export const processChangeContinuedInputSchema = z.lazy(() =>
  z
    .object({
      continued: z
        .object({
          change: processChangeInputSchema,
          queued: z.array(processChangeInputSchema),
          outcomes: z.array(z.record(z.string(), z.unknown())),
          attempt: z.number().int().min(1),
          resumeWait: resumeWaitSchema,
          /** The resource's retry policy as the failed read reported it. */
          resource: z.record(z.string(), z.unknown()),
        })
        .strict(),
    })
    .strict(),
);

/** `deleteUser`: deprovision the user's accounts, then remove him. */
export const deleteUserInputSchema = z.lazy(() =>
  z
    .object({
      userOid: z.string().min(1),
      channel: channelSchema.default('user'),
      /** Shadows whose delete was handed over and is still awaited (carried across continue-as-new). */
      waitingFor: z.array(z.string()).optional(),
    })
    .strict(),
);
export type DeleteUserInput = z.input<typeof deleteUserInputSchema>;

// ---- reconciliation and import runs -------------------------------------------------------

export const runTypeSchema = z.lazy(() => z.enum(['recon', 'import']));
export type RunType = z.infer<typeof runTypeSchema>;

export const runErrorSchema = z.lazy(() => z.object({ object: z.string(), message: z.string(), at: z.string() }));
export const runStatsSchema = z.lazy(() => z.record(z.string(), z.number()));

/** Adds `from`'s counts into `into` (and returns it). */
export function addStats(into: Record<string, number>, from: Readonly<Record<string, number>>): Record<string, number> {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** Where a run is, carried across continue-as-new and handed to bucket children (set by the run itself). */
export const runContinuationSchema = z.lazy(() =>
  z
    .object({
      runId: z.string().min(1),
      resourceOid: z.string().min(1),
      resourceName: z.string(),
      startedAt: z.string(),
      /** Expected number of objects (the resource's live shadows when the run began); null when unknown. */
      total: z.number().int().nullable(),
      /** The resource's `reconciliation` settings when the run began (the input's pageSize and buckets win). */
      settings: z.object({ pageSize: z.number().int().optional(), buckets: z.number().int().optional() }).optional(),
      phase: z.enum(['operations', 'objects', 'shadows', 'held', 'finishing']),
      /** objects phase: the resource's search cursor (absent: from the start). */
      cursor: z.string().optional(),
      /** shadows phase: the last shadow oid looked at. */
      after: z.string().optional(),
      stats: runStatsSchema,
      /** The latest errors (the run document keeps more). */
      errors: z.array(runErrorSchema),
      /** Set on a bucket child: the share of the objects it works on. */
      bucket: z.object({ index: z.number().int().min(0), count: z.number().int().min(2), parentWorkflowId: z.string() }).optional(),
      /** A simulated run: its simulation (its id is the run's) and when its results expire. */
      simulation: z.object({ id: z.string().min(1), expireAt: z.string() }).optional(),
      /** A real run's thresholds in numbers of operations (null: not limited). */
      safety: z.object({ deletes: z.number().nullable(), disables: z.number().nullable(), modifies: z.number().nullable() }).optional(),
      /** held phase: the last held object synchronized. */
      heldAfter: z.string().optional(),
      /** held phase: how the held objects were decided. */
      decision: z.object({ approved: z.boolean(), by: z.string().optional(), reason: z.string().optional(), at: z.string() }).optional(),
    })
    .strict(),
);
export type RunContinuation = z.infer<typeof runContinuationSchema>;

/** A run's own thresholds, over its resource's `safety`. */
export const safetyOverrideSchema = z.lazy(() =>
  z
    .object({ maxDeletes: thresholdSchema.optional(), maxDisables: thresholdSchema.optional(), maxModifies: thresholdSchema.optional() })
    .strict(),
);
export type SafetyOverride = z.infer<typeof safetyOverrideSchema>;

/**
 * `reconcileResource` and `importFromResource`: `{ "resource": "<name or oid>" }` is all a person types
 * (in the Temporal UI, say); the rest is defaulted from the resource's `reconciliation` settings.
 */
export const resourceRunInputSchema = z.lazy(() =>
  z
    .object({
      resource: z.string().min(1, 'name or oid of the resource'),
      /** Objects read per page. @default the resource's reconciliation.pageSize, else 1000 */
      pageSize: z.number().int().min(1).max(5000).optional(),
      /** Child workflows sharing the run, by hash of the primary identifier. @default the resource's reconciliation.buckets, else 1 */
      buckets: z.number().int().min(1).max(64).optional(),
      /**
       * A simulation (preview): the run reads the resource and the repository as it would and writes nothing
       * but its results, per object what would happen (`tally simulation show <id>`). @default false
       */
      simulate: z.boolean().optional(),
      /** How long a simulation's results are kept, e.g. "7d", "12h". @default "7d" */
      keepFor: durationSchema.optional(),
      /** This run's thresholds, over the resource's `safety` (e.g. `{ "maxDeletes": 100 }`, `"off"` for none). */
      safety: safetyOverrideSchema.optional(),
      continuation: runContinuationSchema.optional(),
    })
    .strict(),
);
export type ResourceRunInput = z.input<typeof resourceRunInputSchema>;

// ---- live sync ----------------------------------------------------------------------------

export const liveSyncStatsSchema = z.lazy(() =>
  z.object({
    polls: z.number(),
    changes: z.number(),
    applied: z.number(),
    handedOver: z.number(),
    reconciliationsStarted: z.number(),
  }),
);
export type LiveSyncStats = z.infer<typeof liveSyncStatsSchema>;

/** `liveSync`: `{ "resource": "<name or oid>" }`; the interval and batch size default from the resource's `liveSync` settings. */
export const liveSyncInputSchema = z.lazy(() =>
  z
    .object({
      resource: z.string().min(1, 'name or oid of the resource'),
      /** Milliseconds between polls when nothing more is waiting. @default the resource's liveSync.interval, else 1000 */
      intervalMs: z.number().int().min(10).max(3_600_000).optional(),
      /** Changes read per poll at most. @default the resource's liveSync.batchSize, else 1000 */
      batchSize: z.number().int().min(1).max(10_000).optional(),
      /** Set by live sync itself when it continues as new. */
      continuation: z
        .object({
          resourceOid: z.string(),
          resourceName: z.string(),
          intervalMs: z.number(),
          batchSize: z.number(),
          startedAt: z.string(),
          paused: z.boolean(),
          stats: liveSyncStatsSchema,
          lastErrors: z.array(runErrorSchema),
          /** An operator approved what the last poll held: the next poll applies it whatever the thresholds. */
          approveNext: z.boolean().optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
);
export type LiveSyncInput = z.input<typeof liveSyncInputSchema>;
export type LiveSyncContinuation = NonNullable<z.output<typeof liveSyncInputSchema>['continuation']>;

/**
 * What a change event says about one object (the HTTP API adds the resource; a signal has the workflow's):
 * a new schema at each call, which the API extends and the workflows' inputs narrow.
 */
export const changeEventFields = () =>
  z.object({
    /** The account's name on the resource (LDAP DN, login): its secondary identifier. */
    account: z.string().min(1).optional(),
    /** The account's stable identifier (LDAP entryUUID, row key). */
    primaryIdentifier: z.string().min(1).optional(),
    changeType: changeTypeSchema.default('unknown'),
    attributeDeltas: z.array(itemDeltaSchema).optional(),
    /** The sender's id of this event: an event sent again with the same id is applied once. */
    eventId: z.string().min(1).max(200).optional(),
  });

export const namesTheAccount = (c: { account?: string; primaryIdentifier?: string }) => !!(c.account || c.primaryIdentifier);
export const namesTheAccountMessage = { message: 'name the account: account (its name) or primaryIdentifier' };

/** The change an event reports, as the synchronization routine takes it. */
export function changeOfEvent(resourceOid: string, event: z.output<ReturnType<typeof changeEventFields>> | ChangeEventInput, channel: Channel): ResourceChange {
  return {
    resourceRef: resourceOid,
    channel,
    changeType: event.changeType ?? 'unknown',
    ...(event.account ? { secondaryIdentifier: event.account } : {}),
    ...(event.primaryIdentifier ? { primaryIdentifier: event.primaryIdentifier } : {}),
    ...(event.attributeDeltas ? { attributeDeltas: event.attributeDeltas } : {}),
  };
}

/** A change event signalled to a resource's liveSync workflow. */
export const changeEventInputSchema = z.lazy(() =>
  changeEventFields().strict().refine(namesTheAccount, namesTheAccountMessage),
);
export type ChangeEventInput = z.input<typeof changeEventInputSchema>;

// ---- the short shapes people type (the Temporal UI), as the CLI and API take them ----------

/** An object input with `key` and without `longKey`: the short shape. */
export const isShortShape = (raw: unknown, key: string, longKey: string): raw is Record<string, unknown> =>
  typeof raw === 'object' && raw !== null && !Array.isArray(raw) && key in raw && !(longKey in raw);

/** `processChange` as typed: `{ "resource": "<name or oid>", "account": "<name>" }`; the channel defaults to `user`. */
export const processChangeShortInputSchema = z.lazy(() =>
  changeEventFields()
    .omit({ eventId: true })
    .extend({
      resource: z.string().min(1, 'name or oid of the resource'),
      channel: channelSchema.default('user'),
    })
    .strict()
    .refine(namesTheAccount, namesTheAccountMessage),
);
export type ProcessChangeShortInput = z.output<typeof processChangeShortInputSchema>;

/** `provisionUser` and `deleteUser` as typed: `{ "user": "<name or oid>" }`; the channel defaults to `user`. */
export const provisionUserShortInputSchema = z.lazy(() =>
  z
    .object({
      user: z.string().min(1, 'name or oid of the user'),
      channel: channelSchema.default('user'),
    })
    .strict(),
);

/** `provisionAccount` as typed: `{ "shadow": "<shadow oid>" }`. */
export const provisionAccountShortInputSchema = z.lazy(() =>
  z.object({ shadow: z.string().min(1, 'oid of the shadow') }).strict(),
);
