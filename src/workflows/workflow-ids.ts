/**
 * Names shared by workflows and their clients: deterministic workflow ids (one workflow per user, per
 * account (shadow), per resource object), typed signals, and typed search-attribute keys.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ActivationTimerInput, ChangeEventInput, ProcessChangeInput, ProvisionRoleInput, ProvisionUserInput, RunType } from '../schema/workflow-inputs';

export const workflowIds = {
  provisionUser: (userOid: string) => `user:${userOid}`,
  /** A role's own projection (its group). */
  provisionRole: (roleOid: string) => `role:${roleOid}`,
  /** The durable timer that recomputes a user when his validFrom or validTo passes. */
  activationTimer: (userOid: string) => `activation:${userOid}`,
  provisionAccount: (shadowOid: string) => `provision:${shadowOid}`,
  deleteUser: (userOid: string) => `delete-user:${userOid}`,
  processChange: (resourceOid: string, objectKey: string) => `change:${resourceOid}:${objectKey}`,
  liveSync: (resourceOid: string) => `livesync:${resourceOid}`,
  /**
   * What `tally reconcile` and `tally import` start: one id per resource and kind, so a second start meets
   * the running one. Any other id works too (the Temporal UI asks for one): the run refuses to be a second.
   */
  resourceRun: (type: RunType, resourceOid: string) => `${type}:${resourceOid}`,
  /** A bucket child of a run split over several workflows. */
  runBucket: (parentWorkflowId: string, index: number) => `${parentWorkflowId}:bucket-${index}`,
  /** A simulated run: many may go on at once, beside the real one. */
  simulatedRun: (type: RunType, resourceOid: string, unique: string) => `simulate-${type}:${resourceOid}:${unique}`,
};

export const signals = {
  /** provisionUser: recompute again with these changes. */
  recompute: defineSignal<[ProvisionUserInput]>('recompute'),
  /** provisionRole: recompute the role's projection again with this change. */
  recomputeRole: defineSignal<[ProvisionRoleInput]>('recomputeRole'),
  /** activationTimer: the user's next validity boundary is now this one. */
  rearm: defineSignal<[ActivationTimerInput]>('rearm'),
  /** provisionAccount: new pending operations, or the resource is back. */
  wake: defineSignal('wake'),
  /** processChange: another change of the same object. */
  change: defineSignal<[ProcessChangeInput]>('change'),
  /** processChange: try the held change again now, its attempts counted afresh. */
  retryChange: defineSignal('retryChange'),
  /** processChange: drop the held change (an operator's decision, audited) and go on with the queued ones. */
  discardChange: defineSignal('discardChange'),
  /** liveSync: stop polling (until resumed), go on polling, end the workflow. */
  pauseLiveSync: defineSignal('pause'),
  resumeLiveSync: defineSignal('resume'),
  stopLiveSync: defineSignal('stop'),
  /** liveSync: change events from a service that speaks Temporal (the resource is the workflow's). */
  changeEvents: defineSignal<[ChangeEventInput[]]>('changes'),
  /** reconcileResource/importFromResource: a bucket child's counts so far. */
  bucketProgress: defineSignal<[{ index: number; stats: Record<string, number> }]>('bucketProgress'),
  /**
   * A run (or live sync) held at its thresholds: approve does the held operations and goes on, reject ends
   * the run with none of them done. From the Temporal UI: signal `approve` or `reject` with `{}` or
   * `{ "by": "<who>", "reason": "<why>" }`.
   */
  approve: defineSignal<[RunDecisionInput?]>('approve'),
  reject: defineSignal<[RunDecisionInput?]>('reject'),
};

/** Who decided about a held run, and why (both optional). */
export interface RunDecisionInput {
  by?: string;
  reason?: string;
}

/** What a reconciliation or import run reports while it runs (and returns when done). */
export interface RunProgress {
  type: RunType;
  runId: string;
  resource: string;
  resourceOid: string;
  phase: 'operations' | 'objects' | 'shadows' | 'held' | 'awaiting-approval' | 'finishing' | 'finished' | 'failed';
  startedAt: string;
  /** Objects expected (the resource's live shadows when the run began); null when unknown. */
  total: number | null;
  seen: number;
  unchanged: number;
  /** Objects that went through the synchronization routine. */
  synchronized: number;
  errors: number;
  stats: Record<string, number>;
  lastErrors: Array<{ object: string; message: string; at: string }>;
  /** A simulated run: its simulation's id (`tally simulation show <id>`). */
  simulation?: string;
  /** A run held at its thresholds: why, and how many objects wait (`tally simulation show <runId>` lists them). */
  awaitingApproval?: { reasons: string[]; held: number };
  /** How a held run was decided. */
  decision?: { approved: boolean; by?: string; reason?: string; at: string };
}

/** What a liveSync workflow reports (its `status` query, and its result). */
export interface LiveSyncStatus {
  resource: string;
  resourceOid: string;
  state: 'polling' | 'paused' | 'awaiting-approval' | 'stopped';
  /** Held at the resource's thresholds: why, how many objects, and the simulation that lists them. */
  awaitingApproval?: { reasons: string[]; held: number; simulation: string };
  /** How the last hold was decided. */
  lastDecision?: { approved: boolean; by?: string; reason?: string; at: string };
  intervalMs: number;
  startedAt: string;
  lastPollAt: string | null;
  polls: number;
  changes: number;
  applied: number;
  handedOver: number;
  reconciliationsStarted: number;
  lastErrors: Array<{ object: string; message: string; at: string }>;
}

export const queries = {
  progress: defineQuery<RunProgress>('progress'),
  liveSyncStatus: defineQuery<LiveSyncStatus>('status'),
};

/** Custom search attributes (registered on the Temporal server as Keyword). */
export const searchAttributes = {
  resource: defineSearchAttributeKey('TallyResource', SearchAttributeType.KEYWORD),
  user: defineSearchAttributeKey('TallyUser', SearchAttributeType.KEYWORD),
  shadow: defineSearchAttributeKey('TallyShadow', SearchAttributeType.KEYWORD),
  operation: defineSearchAttributeKey('TallyOperation', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('TallyState', SearchAttributeType.KEYWORD),
};

export type TallyState = 'running' | 'waiting-for-resource' | 'retrying' | 'awaiting-approval' | 'failed' | 'done';
