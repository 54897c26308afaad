/**
 * Objects Tally keeps and exchanges: resource objects as connectors see them, deltas,
 * users and shadows as stored in the repository, change events.
 */
import { z } from 'zod';
import { channelSchema, situationSchema, type Channel, type Situation } from './config-basics';
import type { Activation } from './config';
import type { Assignment } from './assignments';

// ---- resource side ------------------------------------------------------------------------

export const attributeValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type AttributeValue = z.infer<typeof attributeValueSchema>;

/** Attribute values are always lists: multi-valued attributes are first-class. */
export const attributesSchema = z.record(z.string(), z.array(attributeValueSchema));
export type Attributes = z.infer<typeof attributesSchema>;

/** An object on a resource as a connector returns it. */
export const resourceObjectSchema = z.object({
  /** Stable identifier (LDAP entryUUID, a generated key): icfs:uid. */
  primaryIdentifier: z.string(),
  /** Name-like identifier (the DN, a login name): icfs:name. May change on rename. */
  secondaryIdentifier: z.string(),
  objectClass: z.string(),
  attributes: attributesSchema,
});
export type ResourceObject = z.infer<typeof resourceObjectSchema>;

/**
 * One item's modification: of a resource attribute (path = attribute name) or a user property
 * (path = property name, `extension/<name>`, `assignment`). `replace` sets all values; `add` and
 * `delete` change some values of a multi-valued item. An empty `replace` clears the item.
 */
export const itemDeltaSchema = z.object({
  path: z.string().min(1),
  replace: z.array(z.unknown()).optional(),
  add: z.array(z.unknown()).optional(),
  delete: z.array(z.unknown()).optional(),
});
export type ItemDelta = z.infer<typeof itemDeltaSchema>;

/** Attribute deltas carry attribute values only. */
export interface AttributeDelta {
  path: string;
  replace?: AttributeValue[];
  add?: AttributeValue[];
  delete?: AttributeValue[];
}

// ---- repository documents -----------------------------------------------------------------

export const metadataSchema = z.object({
  createTimestamp: z.string(),
  modifyTimestamp: z.string(),
  createChannel: z.string().optional(),
  modifyChannel: z.string().optional(),
});
export type Metadata = z.infer<typeof metadataSchema>;

/** Single-valued text properties of a user (midPoint's UserType items people map every day). */
export const SINGLE_VALUED_USER_PROPERTIES = [
  'name',
  'fullName',
  'givenName',
  'familyName',
  'emailAddress',
  'telephoneNumber',
  'title',
  'locality',
  'employeeNumber',
] as const;

/** Multi-valued text properties of a user: their values are a set. */
export const MULTI_VALUED_TEXT_USER_PROPERTIES = ['employeeType', 'organization', 'organizationalUnit'] as const;

export type EffectiveStatus = 'enabled' | 'disabled' | 'archived';

/**
 * The user's activation: what people set (`administrativeStatus`, `validFrom`, `validTo`) and what Tally
 * computes from it (`effectiveStatus`, `validityStatus`), as midPoint does.
 */
export type UserActivation = Activation & {
  effectiveStatus?: EffectiveStatus;
  validityStatus?: 'before' | 'in' | 'after';
};

/** The focus. Field names follow the seeds' XML (`assignment`, `linkRef`), as template target paths do. */
export interface UserDoc {
  oid: string;
  name: string;
  fullName?: string;
  givenName?: string;
  familyName?: string;
  emailAddress?: string;
  telephoneNumber?: string;
  title?: string;
  locality?: string;
  employeeNumber?: string;
  employeeType?: string[];
  organization?: string[];
  organizationalUnit?: string[];
  extension?: Record<string, unknown>;
  activation?: UserActivation;
  /** The password encrypted with TALLY_SECRET_KEY (`enc:v1:...`), never plaintext. */
  credentials?: { password?: { encrypted: string; changedAt?: string } };
  assignment: Assignment[];
  /**
   * The assignments the user's configuration file gave at its last `tally apply` (as written there). The
   * next apply removes those the file no longer lists and keeps the others, e.g. ones made with the CLI or API.
   */
  configAssignment?: Assignment[];
  /** The object template this user is kept consistent with (set by the reaction that created it). */
  templateRef?: string;
  /** Oids of linked shadows. */
  linkRef: string[];
  /** Set while the user is being deleted: his accounts are deprovisioned, nothing provisions new ones. */
  deletion?: { workflowId: string; requestedAt: string };
  /**
   * Set by every change of the user and removed once his accounts were provisioned after it: a change whose
   * provisioning never ran to its end (its executor died) is found and provisioned again.
   */
  projectionDue?: ProjectionDue;
  version: number;
  metadata: Metadata;
}

/** The outbox mark of a user changed since his accounts were last provisioned (`UserDoc.projectionDue`). */
export interface ProjectionDue {
  /** When the first change not yet provisioned was stored. */
  since: string;
  /** New at every change: a provisioning removes the mark only if no change came after what it read. */
  token: string;
  /** The paths those changes touched; absent: not known (everything is compared). */
  paths?: string[];
  /** When the stranded-work sweeper last asked for the user's provisioning. */
  handedOverAt?: string;
}
export const pendingOperationTypeSchema = z.enum(['add', 'modify', 'delete']);
export type PendingOperationType = z.infer<typeof pendingOperationTypeSchema>;

/** `cancelled`: an operator gave the operation up (`tally operation cancel`). */
export const operationResultStatusSchema = z.enum(['in-progress', 'success', 'postponed', 'fatal-error', 'cancelled']);

/** An operation the resource has not confirmed yet (the consistency mechanism's memory). */
export const pendingOperationSchema = z.object({
  id: z.string(),
  type: pendingOperationTypeSchema,
  /** add: all attributes of the account; modify: attribute deltas. */
  attributes: attributesSchema.optional(),
  delta: z.array(itemDeltaSchema).optional(),
  attemptNumber: z.number().int().nonnegative(),
  lastAttemptTimestamp: z.string().optional(),
  requestTimestamp: z.string(),
  result: z.object({ status: operationResultStatusSchema, message: z.string().optional(), errorKind: z.string().optional() }),
  workflowId: z.string().optional(),
  channel: channelSchema.optional(),
  /** Set while the resource is being asked to do it; nothing may be merged into it then. */
  executing: z.boolean().optional(),
  /** The executor's claim lasts until then: past it, a crashed executor's claim may be taken over. */
  executingUntil: z.string().optional(),
  /**
   * Who holds the claim. For an activity of provisionAccount, the activity: Temporal runs it again only once
   * it has given the earlier attempt up (a worker that died), so it may take its own claim over. For an
   * executor inside another workflow's activity, `inline:<workflowId>`.
   */
  executingBy: z.string().optional(),
});
export type PendingOperation = z.infer<typeof pendingOperationSchema>;

export interface ShadowDoc {
  oid: string;
  resourceRef: string;
  objectClass: string;
  kind: 'account' | 'entitlement' | 'generic';
  intent: string;
  /** Null until the resource has created the object (a pending add). */
  primaryIdentifier: string | null;
  secondaryIdentifier: string | null;
  /** Cached attributes as last read or written. */
  attributes?: Record<string, AttributeValue[]>;
  ownerRef: string | null;
  /** A protected account (the object type's `protected`): never correlated, modified or deleted. */
  protectedObject?: boolean;
  situation?: Situation;
  situationTimestamp?: string;
  exists: boolean;
  dead: boolean;
  iteration: number;
  iterationToken: string;
  pendingOperations: PendingOperation[];
  /** The last operation the resource refused for good, kept for ops to read. */
  lastFailedOperation?: PendingOperation;
  /** Last reconciliation run that saw this object on the resource. */
  lastSeenRunId?: string;
  /**
   * Since when the account is disabled instead of deleted because nothing asks for it (the object type's
   * `activation.deprovisioning.action: disable`); reconciliation deletes it after `deleteAfter`.
   */
  deprovisionedAt?: string;
  version: number;
  metadata: Metadata;
}

// ---- change events ------------------------------------------------------------------------

export const changeTypeSchema = z.enum(['add', 'modify', 'delete', 'unknown']);
export type ChangeType = z.infer<typeof changeTypeSchema>;

/** A change of one resource object, found by any mechanism. */
export const resourceChangeSchema = z.object({
  resourceRef: z.string().min(1),
  channel: channelSchema,
  changeType: changeTypeSchema.default('unknown'),
  /** At least one identifier is needed to find the object. */
  primaryIdentifier: z.string().optional(),
  secondaryIdentifier: z.string().optional(),
  objectClass: z.string().optional(),
  /** The object as it is now, if the mechanism read it (reconciliation, import). */
  currentObject: resourceObjectSchema.optional(),
  /** What changed, if the mechanism knows (live sync). */
  attributeDeltas: z.array(itemDeltaSchema).optional(),
  /** Live-sync position of this change. */
  token: z.string().optional(),
});
export type ResourceChange = z.infer<typeof resourceChangeSchema>;

export { situationSchema, channelSchema };
export type { Situation, Channel, Assignment };

// ---- simulations --------------------------------------------------------------------------

/** What a simulation's item may count as (`--only`, `?only=`). */
export const simulationKinds = ['adds', 'modifies', 'deletes', 'disables', 'enables', 'users', 'errors'] as const;
export type SimulationKind = (typeof simulationKinds)[number];
