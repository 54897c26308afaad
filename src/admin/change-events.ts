/**
 * Change events from services: stored durably in arrival order (one write per request), deduplicated by
 * their event id, and applied by the resource's live sync, which this starts when it doesn't run. A
 * resource whose backlog is too long (TALLY_MAX_EVENT_BACKLOG) refuses more for a moment (HTTP 429)
 * rather than drop any.
 */
import type { Channel } from '../schema/config';
import { changeNotificationSchema, type ChangeNotification } from '../schema/api';
import { changeOfEvent } from '../schema/workflow-inputs';
import type { Services } from '../runtime/services';
import { startLiveSyncUnlessHeld } from './live-sync';
import { appliedResource } from './resource-runs';

/** How long a backlog count and "live sync runs" are taken as still true. */
const BACKLOG_CHECK_MS = 1_000;
const LIVE_SYNC_CHECK_MS = 10_000;

export class BacklogFullError extends Error {
  override readonly name = 'BacklogFullError';
  constructor(
    readonly resourceName: string,
    readonly waiting: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`${resourceName} has ${waiting} change events waiting to be applied: send again in ${retryAfterSeconds} s`);
  }
}

const backlogs = new Map<string, { count: number; until: number }>();
const liveSyncsSeen = new Map<string, number>();

export async function acceptChangeEvents(
  services: Services,
  notifications: readonly ChangeNotification[],
  channel: Channel,
): Promise<{ accepted: number; duplicates: number; resources: string[] }> {
  const resources = new Map<string, { oid: string; name: string }>();
  const receivedAt = new Date().toISOString();
  const events = [];
  for (const notification of notifications) {
    const parsed = changeNotificationSchema.parse(notification);
    let resource = resources.get(parsed.resource);
    if (!resource) {
      const found = await appliedResource(services, parsed.resource);
      resource = { oid: found.oid, name: found.name };
      resources.set(parsed.resource, resource);
    }
    events.push({ resourceRef: resource.oid, ...(parsed.eventId ? { eventId: parsed.eventId } : {}), change: changeOfEvent(resource.oid, parsed, channel), receivedAt });
  }
  const distinct = [...new Map([...resources.values()].map((r) => [r.oid, r])).values()];
  for (const resource of distinct) await refuseWhenBacklogFull(services, resource);
  const stored = await services.repo.liveSync.acceptChangeEvents(events);
  for (const resource of distinct) await ensureLiveSync(services, resource.oid);
  return { ...stored, resources: distinct.map((r) => r.oid) };
}

/** Throws BacklogFullError while the resource has too many change events waiting. */
export async function refuseWhenBacklogFull(services: Services, resource: { oid: string; name: string }): Promise<void> {
  const now = Date.now();
  const key = `${services.settings.TALLY_DATABASE}:${resource.oid}`;
  let backlog = backlogs.get(key);
  if (!backlog || backlog.until < now) {
    backlog = { count: await services.repo.liveSync.countPendingChangeEvents(resource.oid), until: now + BACKLOG_CHECK_MS };
    backlogs.set(key, backlog);
  }
  if (backlog.count >= services.settings.TALLY_MAX_EVENT_BACKLOG) throw new BacklogFullError(resource.name, backlog.count, 1);
}

async function ensureLiveSync(services: Services, resourceOid: string): Promise<void> {
  const key = `${services.settings.TALLY_DATABASE}:${resourceOid}`;
  if ((liveSyncsSeen.get(key) ?? 0) > Date.now()) return;
  // One an operator stopped or paused stays so: the events wait for the operator's start or resume.
  await startLiveSyncUnlessHeld(services, resourceOid);
  liveSyncsSeen.set(key, Date.now() + LIVE_SYNC_CHECK_MS);
}
