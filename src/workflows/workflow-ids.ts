/** Deterministic workflow ids: one workflow per user, per account (shadow), per resource object. */
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
  recompute: 'recompute',
  /** provisionAccount: new pending operations, or the resource is back. */
  wake: 'wake',
  /** processChange: another change of the same object. */
  change: 'change',
} as const;

export const queries = {
  progress: 'progress',
} as const;

/** Custom search attributes (registered on the Temporal server as Keyword). */
export const searchAttributes = {
  resource: 'TallyResource',
  user: 'TallyUser',
  shadow: 'TallyShadow',
  operation: 'TallyOperation',
  state: 'TallyState',
} as const;

export type TallyState = 'running' | 'waiting-for-resource' | 'failed' | 'done';
