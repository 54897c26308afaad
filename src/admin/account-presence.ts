/**
 * Before a change of an account is reported: does Tally or the resource know that account at all? A change
 * of an account neither knows is a mistake (a typo, a name that is no account) and is refused with
 * "no account X on resource Y". While the resource can't be asked, the change is taken (it waits).
 */
import { accountShadowByIdentifiers, fetchResourceObject, isResourceOutage } from '../provisioning';
import { noAccountMessage } from '../sync/synchronize-change';
import type { Services } from '../runtime/services';

export class NoSuchAccountError extends Error {
  override readonly name = 'NoSuchAccountError';
}

export interface AccountNames {
  account?: string;
  primaryIdentifier?: string;
}

/** Throws NoSuchAccountError when neither an account's shadow nor the resource has the account (a group is none). */
export async function requireKnownAccount(services: Pick<Services, 'repo' | 'connectors' | 'syncDeps'>, resource: { oid: string; name: string }, names: AccountNames): Promise<void> {
  const ids = { primaryIdentifier: names.primaryIdentifier, secondaryIdentifier: names.account };
  if (await accountShadowByIdentifiers(services, resource.oid, ids)) return;
  try {
    if (await fetchResourceObject(services.syncDeps, resource.oid, ids)) return;
  } catch (e) {
    if (isResourceOutage(e)) return;
    throw e;
  }
  throw new NoSuchAccountError(noAccountMessage(names.account ?? names.primaryIdentifier ?? '?', resource.name));
}

/** The same for one change notification; an unknown resource is left to the caller's own answer. */
export async function requireKnownAccountOfNotification(services: Pick<Services, 'repo' | 'connectors' | 'syncDeps'>, notification: AccountNames & { resource: string }): Promise<void> {
  const resource = await services.repo.config.resource(notification.resource);
  if (resource) await requireKnownAccount(services, resource, notification);
}
