/**
 * Executing many new accounts' first operations at once (an import page): adds on a resource whose
 * connector creates in bulk go in one request, all or none; everything else, and a bulk request that
 * failed, goes one account at a time through the usual executor, side by side. Each shadow comes with its
 * first operation already claimed by the caller.
 */
import { isConnectorError } from '../connectors/connector-errors';
import type { ShadowDoc } from '../schema/objects';
import { withConcurrency } from '../support/concurrency';
import { executeHere, summarized, type AccountResult } from './account-provisioning';
import { nowOf, type ProvisioningDeps } from './provisioning-deps';

/** Accounts executed one at a time side by side. @default 8 */
export const EXECUTION_WIDTH = 8;

export async function executeClaimedInBulk(deps: ProvisioningDeps, shadows: readonly ShadowDoc[], workflowId?: string): Promise<AccountResult[]> {
  const results: AccountResult[] = [];
  const oneByOne: ShadowDoc[] = [];
  const addsByResource = new Map<string, ShadowDoc[]>();
  for (const shadow of shadows) {
    const first = shadow.pendingOperations[0];
    if (first?.type === 'add' && shadow.secondaryIdentifier) addsByResource.set(shadow.resourceRef, [...(addsByResource.get(shadow.resourceRef) ?? []), shadow]);
    else if (first) oneByOne.push(shadow);
  }
  for (const [resourceRef, adds] of addsByResource) {
    const created = adds.length > 1 ? await createAll(deps, resourceRef, adds, workflowId) : null;
    if (created) results.push(...created);
    else oneByOne.push(...adds);
  }
  await withConcurrency(oneByOne, EXECUTION_WIDTH, async (shadow) => {
    results.push(summarized(await executeHere(deps, shadow, workflowId)));
  });
  return results;
}

/** One bulk create; null when the connector can't, or the request failed as a whole (nothing was created). */
async function createAll(deps: ProvisioningDeps, resourceRef: string, adds: ShadowDoc[], workflowId?: string): Promise<AccountResult[] | null> {
  const { connector } = await deps.connectors.connectorFor(resourceRef);
  if (!connector.createMany) return null;
  let created;
  try {
    created = await connector.createMany(adds.map((s) => ({ secondaryIdentifier: s.secondaryIdentifier!, attributes: s.pendingOperations[0].attributes ?? {} })));
  } catch (e) {
    if (isConnectorError(e)) return null;
    throw e;
  }
  const now = nowOf(deps);
  await deps.repo.finishPendingOperations(
    adds.map((shadow, i) => ({
      shadowOid: shadow.oid,
      operationId: shadow.pendingOperations[0].id,
      patch: {
        set: {
          primaryIdentifier: created[i].primaryIdentifier,
          secondaryIdentifier: created[i].secondaryIdentifier,
          attributes: created[i].attributes,
          exists: true,
          'metadata.modifyTimestamp': now,
        },
      },
    })),
  );
  await deps.repo.writeAudit(
    adds.map((shadow) => {
      const op = shadow.pendingOperations[0];
      return { timestamp: now, channel: op.channel ?? 'user', objectType: 'account' as const, objectOid: shadow.oid, resourceRef, delta: { type: 'add', attributes: op.attributes }, workflowId };
    }),
  );
  return adds.map((shadow) => summarized({ shadowOid: shadow.oid, resourceRef, state: 'done', messages: ['add done in bulk'] }));
}
