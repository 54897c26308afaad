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
import { withConcurrency } from '../support/concurrency';

/** Objects read side by side from a connector that reads one at a time. */
const READ_WIDTH = 16;

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

/**
 * The objects with these primary identifiers as they are on the resource now, by primary identifier: in
 * one request where the connector can, else side by side. An object the resource doesn't have, or that
 * couldn't be read, is left out.
 */
export async function fetchResourceObjects(deps: ProvisioningDeps, resourceRef: string, primaryIdentifiers: readonly string[], objectType?: ObjectTypeRef): Promise<Map<string, ResourceObject>> {
  const { connector } = await deps.connectors.connectorFor(resourceRef, objectType);
  const found = new Map<string, ResourceObject>();
  const many = connector.getMany ? await connector.getMany(primaryIdentifiers).catch(() => null) : null;
  if (many) {
    for (const object of many) found.set(object.primaryIdentifier, object);
    return found;
  }
  await withConcurrency(primaryIdentifiers, READ_WIDTH, async (primaryIdentifier) => {
    const object = await connector.get({ primaryIdentifier }).catch(() => null);
    if (object) found.set(primaryIdentifier, object);
  });
  return found;
}

/** readAccount of many shadows, each resource's in one request where its connector can; by shadow oid. */
export async function readAccounts(deps: ProvisioningDeps, shadows: readonly ShadowDoc[]): Promise<Map<string, ResourceObject | null>> {
  const byType = new Map<string, ShadowDoc[]>();
  for (const shadow of shadows) {
    if (!shadow.exists || !shadow.primaryIdentifier) continue;
    const key = `${shadow.resourceRef}/${shadow.kind}/${shadow.intent}`;
    byType.set(key, [...(byType.get(key) ?? []), shadow]);
  }
  const read = new Map<string, ResourceObject | null>(shadows.map((s) => [s.oid, null]));
  for (const group of byType.values()) {
    const objects = await fetchResourceObjects(deps, group[0].resourceRef, group.map((s) => s.primaryIdentifier!), group[0]).catch(() => new Map<string, ResourceObject>());
    for (const shadow of group) read.set(shadow.oid, objects.get(shadow.primaryIdentifier!) ?? null);
  }
  return read;
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
