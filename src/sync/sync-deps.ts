import type { ProvisioningDeps } from '../provisioning';

/** The synchronization routine works over the repository and the provisioning façade's dependencies. */
export type SyncDeps = ProvisioningDeps;

export { nowOf } from '../provisioning';
