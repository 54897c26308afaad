/**
 * The provisioning façade (as midPoint's ProvisioningService): shadows, pending operations, error
 * handling (postponement, discovery, get with discovery) and every connector call. The synchronization
 * routine uses provisioning through this module only.
 */
export { accountShadowByIdentifiers, ensureShadow, linkShadow, markShadowGone, newShadow, removeShadow, sameAttributes, unlinkShadow } from './shadows';
export { changelogEnd, fetchResourceObject, fetchResourceObjects, hasChangelog, isResourceUp, readAccount, readAccounts, readChangelog, searchResourceObjects } from './resource-objects';
export { provisionAccounts, withClaimedOperation, type AccountProvisioningInput, type AccountResult } from './account-provisioning';
export { adoptExistingEntitlement } from './entitlement-adoption';
export { roleEntitlementsOf } from './role-entitlements';
export { executeClaimedInBulk } from './bulk-execution';
export { executeNextPendingOperation, nextPendingOperation, type OperationOutcome } from './account-operations';
export { discoverAccount, type DiscoveryInput, type DiscoveryOutcome } from './discovery';
export { getAccount, type GetAccountResult } from './get-account';
export { resumePendingOperations } from './resume-pending';
export { ConnectorRegistry } from './connector-registry';
export { resourceOf } from './resource-lookup';
export { readObjectTypeSchemas, type ObjectTypeSchemas } from './resource-schema';
export { cancelPendingOperations, OperationExecutingError } from './cancel-operations';
export { checkResource, type ResourceCheck } from './resource-check';
export { classifyError, describeError, isResourceOutage } from './error-classification';
export { resolveSecret } from '../connectors';
export type { ConnectorChange, SearchPage } from '../connectors';
export { claimLeaseMs } from './claim-lease';
export { nowOf, type ProvisioningDeps } from './provisioning-deps';
export type { WorkflowStarter } from './workflow-starter';
export { countingConnectors, modifyKind, recordingConnectors, SIMULATED_ID_PREFIX } from './recording-connectors';
