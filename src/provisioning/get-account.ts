/**
 * Reading an account through its shadow, with discovery: pending operations are finished first when the
 * resource is up (the account returned is then the freshest one); while the resource is down the shadow
 * is returned as it is, marked as such. An account missing on the resource is re-created if still
 * assigned, otherwise its shadow is dropped.
 */
import type { ResourceObject, ShadowDoc } from '../schema/objects';
import { discoverAccount } from './discovery';
import { fetchResourceObject, isResourceUp } from './resource-objects';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';


export interface GetAccountResult {
  /**
   * fresh: read from the resource now; pending: the resource is down or operations are still waiting,
   * `shadow` is what Tally knows; gone: no account and no shadow any more.
   */
  state: 'fresh' | 'pending' | 'gone';
  resourceUp: boolean;
  account: ResourceObject | null;
  shadow: ShadowDoc | null;
  message: string;
}

export interface GetAccountOptions {
  /** How long to wait for the account's workflow to finish waiting operations. @default 30000 */
  waitMs?: number;
}

export async function getAccount(deps: ProvisioningDeps, shadowOid: string, options: GetAccountOptions = {}): Promise<GetAccountResult> {
  return read(deps, shadowOid, options.waitMs ?? 30_000, true);
}

async function read(deps: ProvisioningDeps, shadowOid: string, waitMs: number, mayDiscover: boolean): Promise<GetAccountResult> {
  let shadow = await deps.repo.shadows.get(shadowOid);
  if (!shadow) return { state: 'gone', resourceUp: false, account: null, shadow: null, message: 'no such shadow' };
  const resourceUp = await isResourceUp(deps, shadow.resourceRef);
  if (!resourceUp) {
    return { state: 'pending', resourceUp, account: null, shadow, message: 'the resource is down: the shadow as Tally knows it' };
  }
  if (shadow.pendingOperations.length > 0) {
    // The account's workflow runs them (operations on one account stay serialized): wake it and wait.
    await deps.workflows.requestAccountProvisioning({ shadowOid, resourceOid: shadow.resourceRef });
    shadow = await settled(deps, shadowOid, waitMs);
    if (!shadow) return { state: 'gone', resourceUp, account: null, shadow: null, message: 'the pending operations removed the account' };
    if (shadow.pendingOperations.length > 0) {
      return { state: 'pending', resourceUp, account: null, shadow, message: 'operations are still pending' };
    }
  }
  if (!shadow.primaryIdentifier) {
    return { state: 'pending', resourceUp, account: null, shadow, message: 'the account has not been created yet' };
  }
  const account = await fetchResourceObject(deps, shadow.resourceRef, shadow, shadow);
  if (account) {
    const refreshed = await deps.repo.shadows.patch(shadowOid, {
      set: { attributes: account.attributes, secondaryIdentifier: account.secondaryIdentifier, exists: true, 'metadata.modifyTimestamp': nowOf(deps) },
    });
    return { state: 'fresh', resourceUp, account, shadow: refreshed, message: 'read from the resource' };
  }
  if (!mayDiscover) throw new Error(`${shadow.secondaryIdentifier ?? shadowOid} is still missing after discovery re-created it`);
  const discovered = await discoverAccount(deps, { shadowOid, found: 'missing' });
  if (discovered.outcome !== 'retry') {
    return { state: 'gone', resourceUp, account: null, shadow: await deps.repo.shadows.get(shadowOid), message: discovered.message };
  }
  return read(deps, shadowOid, waitMs, false);
}

async function settled(deps: ProvisioningDeps, shadowOid: string, waitMs: number): Promise<ShadowDoc | null> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const shadow = await deps.repo.shadows.get(shadowOid);
    if (!shadow || shadow.pendingOperations.length === 0 || Date.now() >= deadline) return shadow;
    await new Promise((r) => setTimeout(r, 200));
  }
}
