/**
 * Reading resource objects: every connector call the synchronization routine needs goes through here.
 */
import type { ResourceObject, ShadowDoc } from '../schema/objects';
import type { ConnectorConfig } from '../schema/config';
import type { ChangesPage } from '../connectors/connector-types';
import type { ShadowIdentifiers } from '../repository/repository';
import type { ProvisioningDeps } from './provisioning-deps';
import { isMissingObject } from './error-classification';
import type { ObjectTypeRef } from './connector-registry';

/** The object as it is on the resource now, or null when the resource says there is none. */
export async function fetchResourceObject(deps: ProvisioningDeps, resourceRef: string, ids: ShadowIdentifiers, objectType?: ObjectTypeRef): Promise<ResourceObject | null> {
  const { connector } = await deps.connectors.connectorFor(resourceRef, objectType);
  try {
    return await connector.get({ primaryIdentifier: ids.primaryIdentifier ?? undefined, secondaryIdentifier: ids.secondaryIdentifier ?? undefined });
  } catch (e) {
    if (isMissingObject(e)) return null;
    throw e;
  }
}

/** The account of a shadow as it is now, or null when it can't be read (the shadow's cached values stand in). */
export async function readAccount(deps: ProvisioningDeps, shadow: ShadowDoc): Promise<ResourceObject | null> {
  if (!shadow.exists || !shadow.primaryIdentifier) return null;
  return fetchResourceObject(deps, shadow.resourceRef, shadow, shadow).catch(() => null);
}

/** True when the resource answers a connection test. */
export async function isResourceUp(deps: ProvisioningDeps, resourceRef: string): Promise<boolean> {
  try {
    const { connector } = await deps.connectors.connectorFor(resourceRef);
    await connector.testConnection();
    return true;
  } catch {
    return false;
  }
}

/** One page of the resource's objects (reconciliation, import); pass the returned cursor for the next. */
export async function searchResourceObjects(
  deps: ProvisioningDeps,
  resourceRef: string,
  options: { cursor?: string; pageSize: number },
): Promise<{ objects: ResourceObject[]; cursor?: string }> {
  const { connector } = await deps.connectors.connectorFor(resourceRef);
  return connector.search({ cursor: options.cursor, pageSize: options.pageSize });
}

/** Whether the resource's connector is configured with a changelog live sync can read. */
export function hasChangelog(resource: { connector: ConnectorConfig }): boolean {
  const c = resource.connector;
  // Active Directory tracks every change itself (uSNChanged); a CSV file's changes are read by comparing it with its last synchronized copy.
  // What services push over SCIM comes as change events only; a SCIM service Tally provisions to has no changelog: it is reconciled.
  if (c.type === 'scim-service' || c.type === 'scim') return false;
  return c.type === 'ldap' ? !!c.changelog : c.type === 'ad' || c.type === 'csv' || !!c.modifiedColumn;
}

/** The changes after `token` (at most `limit`), oldest first. */
export async function readChangelog(deps: ProvisioningDeps, resourceRef: string, token: string, limit: number): Promise<ChangesPage> {
  const { connector } = await deps.connectors.connectorFor(resourceRef);
  return connector.changesSince(token, limit);
}

/** The changelog's current end, to start reading from "now". */
export async function changelogEnd(deps: ProvisioningDeps, resourceRef: string): Promise<string> {
  const { connector } = await deps.connectors.connectorFor(resourceRef);
  return connector.latestToken();
}
