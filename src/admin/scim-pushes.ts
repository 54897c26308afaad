/**
 * Users and groups services push over SCIM: each write is stored (optimistic version: a stale If-Match
 * refused, a userName taken refused) and then handed to the resource's live sync as a change event, the
 * same path as `POST /api/v1/changes`. The event's id is the object's id and version, so a request sent
 * again (after a lost answer, or after Tally stopped between the write and the event) hands the same event
 * again and it is applied once: nothing lost, nothing doubled.
 */
import { randomUUID } from 'node:crypto';
import { sameToken } from '../security/same-token';
import { resolveSecret } from '../provisioning';
import type { StoredResource } from '../repository/repository';
import { VersionConflictError } from '../repository/errors';
import type { ChangeNotification } from '../schema/api';
import type { ScimJson, ScimResourceType, StoredScimObject } from '../schema/scim';
import type { Services } from '../runtime/services';
import { acceptChangeEvents, refuseWhenBacklogFull } from './change-events';

export class ScimObjectNotFoundError extends Error {
  override readonly name = 'ScimObjectNotFoundError';
  constructor(type: ScimResourceType, id: string) {
    super(`no ${type} ${id}`);
  }
}

/** The userName is another user's. */
export class ScimUniquenessError extends Error {
  override readonly name = 'ScimUniquenessError';
  constructor(userName: string) {
    super(`userName ${userName} is taken`);
  }
}

/** If-Match named another version than the stored one. */
export class ScimVersionMismatchError extends Error {
  override readonly name = 'ScimVersionMismatchError';
  constructor(type: ScimResourceType, id: string, ifMatch: string, current: number) {
    super(`${type} ${id} is at version W/"${current}", not ${ifMatch}`);
  }
}

/** The SCIM service resource whose token this is; null for none (a token that can't be resolved matches nothing). */
export async function scimSourceOfToken(services: Services, token: string): Promise<StoredResource | null> {
  if (token === '') return null;
  for (const resource of (await services.repo.config.snapshot()).resources) {
    if (resource.connector.type !== 'scim-service') continue;
    let expected: string;
    try {
      expected = resolveSecret(resource.connector.token);
    } catch {
      continue;
    }
    if (sameToken(token, expected)) return resource;
  }
  return null;
}

/** JSON with its keys sorted, to tell whether two resources are the same. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b))) : v));

const memberIds = (object: { resource: ScimJson } | null): string[] =>
  Array.isArray(object?.resource.members) ? object.resource.members.map((m) => (m as { value?: unknown }).value).filter((v): v is string => typeof v === 'string') : [];

/**
 * The change events of a write: a user's own change; a group's, a change of each user whose `groups` it
 * changes (its members added and removed; all of them when its name changed or it is gone).
 */
function eventsOf(resource: StoredResource, before: StoredScimObject | null, after: StoredScimObject): ChangeNotification[] {
  const eventId = `scim:${after.type}:${after.id}:${after.version}`;
  if (after.type === 'User') {
    const changeType = after.deleted ? 'delete' : after.version === 1 ? 'add' : 'modify';
    return [{ resource: resource.oid, primaryIdentifier: after.id, changeType, eventId }];
  }
  const old = memberIds(before);
  const now = after.deleted ? [] : memberIds(after);
  const renamed = before?.resource.displayName !== after.resource.displayName || after.deleted;
  const touched = renamed ? [...new Set([...old, ...now])] : [...old.filter((m) => !now.includes(m)), ...now.filter((m) => !old.includes(m))];
  return touched.map((member) => ({ resource: resource.oid, primaryIdentifier: member, changeType: 'modify' as const, eventId: `${eventId}:${member}` }));
}

async function handOver(services: Services, resource: StoredResource, before: StoredScimObject | null, after: StoredScimObject): Promise<void> {
  const events = eventsOf(resource, before, after);
  if (events.length > 0) await acceptChangeEvents(services, events, 'scim');
}

const now = () => new Date().toISOString();

/** A POST: the object stored and its change handed over. The same user sent again (same content) is the first one's answer. */
export async function createPushedObject(services: Services, resource: StoredResource, type: ScimResourceType, content: ScimJson): Promise<StoredScimObject> {
  await refuseWhenBacklogFull(services, resource);
  const store = services.repo.scimObjects;
  const at = now();
  const created = await store.insert({ id: randomUUID(), resourceOid: resource.oid, type, resource: content, created: at, lastModified: at });
  if (created) {
    await handOver(services, resource, null, created);
    return created;
  }
  const userName = String(content.userName);
  const existing = await store.byUserName(resource.oid, userName);
  if (!existing || canonical(existing.resource) !== canonical(content)) throw new ScimUniquenessError(userName);
  // A request sent again: its event again (applied once), in case the first one stopped before it.
  await handOver(services, resource, null, existing);
  return existing;
}

/** The live object, or ScimObjectNotFoundError. */
export async function pushedObject(services: Services, resource: StoredResource, type: ScimResourceType, id: string): Promise<StoredScimObject> {
  const found = await services.repo.scimObjects.get(resource.oid, type, id);
  if (!found || found.deleted) throw new ScimObjectNotFoundError(type, id);
  return found;
}

function checkIfMatch(object: StoredScimObject, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const versions = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (!versions.includes(`"${object.version}"`)) throw new ScimVersionMismatchError(object.type, object.id, ifMatch, object.version);
}

/**
 * A PUT or PATCH: `change` computes the new content from the stored one. Without If-Match a concurrent
 * write is read again and the change computed afresh; with it, the version it names must be the stored one.
 */
export async function changePushedObject(
  services: Services,
  resource: StoredResource,
  type: ScimResourceType,
  id: string,
  ifMatch: string | undefined,
  change: (current: ScimJson) => ScimJson,
): Promise<StoredScimObject> {
  await refuseWhenBacklogFull(services, resource);
  for (let attempt = 1; ; attempt++) {
    const current = await pushedObject(services, resource, type, id);
    checkIfMatch(current, ifMatch);
    const content = change(current.resource);
    if (canonical(content) === canonical(current.resource)) {
      await handOver(services, resource, null, current);
      return current;
    }
    try {
      const stored = await services.repo.scimObjects.replace(current, content, now());
      if (!stored) throw new ScimUniquenessError(String(content.userName));
      await handOver(services, resource, current, stored);
      return stored;
    } catch (e) {
      if (!(e instanceof VersionConflictError) || attempt >= 20) throw e;
    }
  }
}

/** A DELETE: the object kept as deleted a day and its change handed over; one sent again hands it again and is 404. */
export async function deletePushedObject(services: Services, resource: StoredResource, type: ScimResourceType, id: string, ifMatch: string | undefined): Promise<void> {
  await refuseWhenBacklogFull(services, resource);
  const found = await services.repo.scimObjects.get(resource.oid, type, id);
  if (!found) throw new ScimObjectNotFoundError(type, id);
  if (found.deleted) {
    await handOver(services, resource, null, found);
    throw new ScimObjectNotFoundError(type, id);
  }
  checkIfMatch(found, ifMatch);
  let deleted: StoredScimObject;
  try {
    deleted = await services.repo.scimObjects.markDeleted(found, now());
  } catch (e) {
    if (e instanceof VersionConflictError) return deletePushedObject(services, resource, type, id, ifMatch);
    throw e;
  }
  await handOver(services, resource, found, deleted);
}
