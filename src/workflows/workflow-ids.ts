/**
 * Names shared by workflows and their clients: deterministic workflow ids (one workflow per user, per
 * account (shadow), per resource object), typed signals, and typed search-attribute keys.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineSignal } from '@temporalio/workflow';
import type { ProcessChangeInput, ProvisionUserInput } from '../schema/workflow-inputs';

export const workflowIds = {
  provisionUser: (userOid: string) => `user:${userOid}`,
  provisionAccount: (shadowOid: string) => `provision:${shadowOid}`,
  processChange: (resourceOid: string, objectKey: string) => `change:${resourceOid}:${objectKey}`,
  liveSync: (resourceOid: string) => `livesync:${resourceOid}`,
  reconcileResource: (resourceOid: string, runId: string) => `recon:${resourceOid}:${runId}`,
  importFromResource: (resourceOid: string, runId: string) => `import:${resourceOid}:${runId}`,
};

export const signals = {
  /** provisionUser: recompute again with these changes. */
  recompute: defineSignal<[ProvisionUserInput]>('recompute'),
  /** provisionAccount: new pending operations, or the resource is back. */
  wake: defineSignal('wake'),
  /** processChange: another change of the same object. */
  change: defineSignal<[ProcessChangeInput]>('change'),
};

/** Custom search attributes (registered on the Temporal server as Keyword). */
export const searchAttributes = {
  resource: defineSearchAttributeKey('TallyResource', SearchAttributeType.KEYWORD),
  user: defineSearchAttributeKey('TallyUser', SearchAttributeType.KEYWORD),
  shadow: defineSearchAttributeKey('TallyShadow', SearchAttributeType.KEYWORD),
  operation: defineSearchAttributeKey('TallyOperation', SearchAttributeType.KEYWORD),
  state: defineSearchAttributeKey('TallyState', SearchAttributeType.KEYWORD),
};

export type TallyState = 'running' | 'waiting-for-resource' | 'failed' | 'done';
