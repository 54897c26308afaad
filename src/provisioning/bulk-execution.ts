/**
 * Executing many accounts' first operations at once (an import page, a live-sync slice). Each shadow comes with its
 * first operation claimed by the caller. Adds on a resource whose connector creates in bulk go in one
 * request, all or none; modifies on a resource whose connector modifies in bulk go in as few requests as it
 * can; other adds and modifies go to the resource side by side. What the resource did
 * is recorded on the shadows in one write, and audited in one. Whatever failed (and deletes) goes the
 * usual way, one account at a time, where errors are classified, postponed or discovered.
 */
import { isResourceError } from './error-classification';
import type { AttributeDelta, ResourceObject, ShadowDoc } from '../schema/objects';
import { withConcurrency } from '../support/concurrency';
import { executeHere, summarized, type AccountResult } from './account-provisioning';
import { doneOperationPatch, operationAudit, protectedAccountRefusal } from './account-operations';
import type { StoredResource } from '../repository/repository';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';
import { resourceOf } from './resource-lookup';
import { holdingClaims } from './claim-lease';

/** Accounts sent to their resources side by side. @default 16 */
export const EXECUTION_WIDTH = 16;

type Done = { shadow: ShadowDoc; object: ResourceObject };

export async function executeClaimedInBulk(deps: ProvisioningDeps, shadows: readonly ShadowDoc[], workflowId?: string): Promise<AccountResult[]> {
  const claims = shadows.flatMap((s) => (s.pendingOperations[0] ? [{ shadowOid: s.oid, operationId: s.pendingOperations[0].id }] : []));
  return holdingClaims(deps, claims, () => executeAll(deps, shadows, workflowId));
}

async function executeAll(deps: ProvisioningDeps, shadows: readonly ShadowDoc[], workflowId?: string): Promise<AccountResult[]> {
  const done: Done[] = [];
  const usual: ShadowDoc[] = [];
  const direct: ShadowDoc[] = [];
  const addsByResource = new Map<string, ShadowDoc[]>();
  const resources = new Map<string, StoredResource>();
  for (const shadow of shadows) {
    const first = shadow.pendingOperations[0];
    if (!first) continue;
    const resource = resources.get(shadow.resourceRef) ?? (await resourceOf(deps, shadow.resourceRef));
    resources.set(shadow.resourceRef, resource);
    // A protected account is refused one account at a time, where the refusal is recorded.
    if (protectedAccountRefusal(resource, shadow, first)) usual.push(shadow);
    else if (first.type === 'add' && shadow.secondaryIdentifier) addsByResource.set(shadow.resourceRef, [...(addsByResource.get(shadow.resourceRef) ?? []), shadow]);
    else if (first.type === 'modify' && shadow.primaryIdentifier && shadow.pendingOperations.length === 1) direct.push(shadow);
    else usual.push(shadow);
  }
  for (const [resourceRef, adds] of addsByResource) {
    const created = adds.length > 1 ? await createAll(deps, resourceRef, adds) : null;
    if (created) done.push(...created);
    else direct.push(...adds);
  }
  const modifiesByResource = new Map<string, ShadowDoc[]>();
  for (const shadow of direct) if (shadow.pendingOperations[0].type === 'modify') modifiesByResource.set(shadow.resourceRef, [...(modifiesByResource.get(shadow.resourceRef) ?? []), shadow]);
  const sent = new Set<ShadowDoc>();
  for (const [resourceRef, modifies] of modifiesByResource) {
    const modified = modifies.length > 1 ? await modifyAll(deps, resourceRef, modifies) : null;
    if (!modified) continue;
    modifies.forEach((shadow, i) => {
      sent.add(shadow);
      if (modified[i]) done.push({ shadow, object: modified[i] });
      else usual.push(shadow);
    });
  }
  await withConcurrency(
    direct.filter((s) => !sent.has(s)),
    EXECUTION_WIDTH,
    async (shadow) => {
      const object = await sendOne(deps, shadow);
      if (object) done.push({ shadow, object });
      else usual.push(shadow);
    },
  );
  await record(deps, done, workflowId);

  const results = done.map(({ shadow }) => summarized({ shadowOid: shadow.oid, resourceRef: shadow.resourceRef, state: 'done', messages: [`${shadow.pendingOperations[0].type} done`] }));
  await withConcurrency(usual, EXECUTION_WIDTH, async (shadow) => {
    results.push(summarized(await executeHere(deps, shadow, workflowId)));
  });
  return results;
}

/** One bulk create; null when the connector can't, or the request failed as a whole (nothing was created). */
async function createAll(deps: ProvisioningDeps, resourceRef: string, adds: ShadowDoc[]): Promise<Done[] | null> {
  const { connector } = await deps.connectors.connectorFor(resourceRef);
  if (!connector.createMany) return null;
  try {
    const created = await connector.createMany(adds.map((s) => ({ secondaryIdentifier: s.secondaryIdentifier!, attributes: s.pendingOperations[0].attributes ?? {} })));
    return adds.map((shadow, i) => ({ shadow, object: created[i] }));
  } catch (e) {
    if (isResourceError(e)) return null;
    throw e;
  }
}

/**
 * The modifies in as few requests as the connector can; null when it can't, or the request failed as a
 * whole. An account that wasn't there is null (the usual path sends it again and handles the error).
 */
async function modifyAll(deps: ProvisioningDeps, resourceRef: string, modifies: ShadowDoc[]): Promise<Array<ResourceObject | null> | null> {
  const { connector } = await deps.connectors.connectorFor(resourceRef);
  if (!connector.modifyMany) return null;
  try {
    return await connector.modifyMany(modifies.map((s) => ({ primaryIdentifier: s.primaryIdentifier!, deltas: s.pendingOperations[0].delta as AttributeDelta[] })));
  } catch (e) {
    if (isResourceError(e)) return null;
    throw e;
  }
}

/** The add or modify sent to the resource; null when it failed (the usual path tries it again and handles the error). */
async function sendOne(deps: ProvisioningDeps, shadow: ShadowDoc): Promise<ResourceObject | null> {
  const op = shadow.pendingOperations[0];
  try {
    const { connector } = await deps.connectors.connectorFor(shadow.resourceRef);
    return op.type === 'add' ? await connector.create(shadow.secondaryIdentifier!, op.attributes ?? {}) : await connector.modify(shadow.primaryIdentifier!, op.delta as never);
  } catch (e) {
    if (isResourceError(e)) return null;
    throw e;
  }
}

async function record(deps: ProvisioningDeps, done: Done[], workflowId?: string): Promise<void> {
  const now = nowOf(deps);
  await deps.repo.shadows.finishPendingOperations(
    done.map(({ shadow, object }) => {
      const op = shadow.pendingOperations[0];
      return { shadowOid: shadow.oid, operationId: op.id, patch: doneOperationPatch(op.type as 'add' | 'modify', object, now, op.channel) };
    }),
  );
  await deps.repo.audit.write(done.map(({ shadow }) => operationAudit(shadow, shadow.pendingOperations[0], now, workflowId)));
}
