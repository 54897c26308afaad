/**
 * The Temporal Schedules that reconcile a resource on its `reconciliation.schedule` cron: brought in line
 * with the stored configuration by `tally apply`, listed by `tally schedules`.
 */
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleDescription, type ScheduleOptionsAction } from '@temporalio/client';
import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import type { StoredResource } from '../repository/repository';
import type { Services } from '../runtime/services';
import type { ResourceRunInput } from '../schema/workflow-inputs';
import { searchAttributes, workflowIds } from '../workflows/workflow-ids';
import { runWorkflowTypes } from './resource-runs';

const scheduleIdPrefix = 'reconcile-schedule:';

export const reconciliationScheduleId = (resourceOid: string) => `${scheduleIdPrefix}${resourceOid}`;

export interface ScheduleChange {
  /** The resource's name; its oid when the resource is no longer stored. */
  resource: string;
  scheduleId: string;
  change: 'created' | 'updated' | 'removed' | 'unchanged';
  /** The cron the schedule runs on; for a removed one, the cron it ran on. */
  cron: string;
}

export interface ReconciliationSchedule {
  scheduleId: string;
  /** The resource's name; its oid when the resource is no longer stored. */
  resource: string;
  cron: string;
  /** The next three start times, ISO. */
  nextRuns: string[];
  paused: boolean;
}

/** Creates, updates or removes this Tally's reconciliation schedules so they match the stored resources. */
export async function syncReconciliationSchedules(services: Services): Promise<ScheduleChange[]> {
  const { resources } = await services.repo.config.snapshot();
  const changes: ScheduleChange[] = [];
  for (const resource of resources) {
    const scheduleId = reconciliationScheduleId(resource.oid);
    const cron = resource.reconciliation?.schedule && normalizedCron(resource.reconciliation.schedule);
    if (cron) {
      try {
        changes.push({ resource: resource.name, scheduleId, cron, change: await upsertSchedule(services, scheduleId, cron, scheduleAction(services, resource)) });
      } catch (e) {
        throw new Error(`resource '${resource.name}': reconciliation.schedule "${cron}": ${(e as Error).message}`);
      }
    }
  }
  const wanted = new Set(changes.map((c) => c.scheduleId));
  const names = new Map(resources.map((r) => [reconciliationScheduleId(r.oid), r.name]));
  const unwanted = (await candidateIds(services, resources)).filter((id) => !wanted.has(id));
  for (const schedule of await ownSchedules(services, unwanted)) {
    await services.client.schedule.getHandle(schedule.scheduleId).delete().catch(ignoreNotFound);
    changes.push({ resource: names.get(schedule.scheduleId) ?? resourceOidOf(schedule.scheduleId), scheduleId: schedule.scheduleId, cron: cronOf(schedule), change: 'removed' });
  }
  return changes;
}

/** This Tally's reconciliation schedules as Temporal has them now. */
export async function listReconciliationSchedules(services: Services): Promise<ReconciliationSchedule[]> {
  const { resources } = await services.repo.config.snapshot();
  const names = new Map(resources.map((r) => [reconciliationScheduleId(r.oid), r.name]));
  return (await ownSchedules(services, await candidateIds(services, resources)))
    .map((s) => ({
      scheduleId: s.scheduleId,
      resource: names.get(s.scheduleId) ?? resourceOidOf(s.scheduleId),
      cron: cronOf(s),
      nextRuns: s.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      paused: s.state.paused,
    }))
    .sort((a, b) => a.resource.localeCompare(b.resource));
}

function scheduleAction(services: Services, resource: StoredResource): ScheduleOptionsAction {
  const { pageSize, buckets } = resource.reconciliation ?? {};
  const input: ResourceRunInput = { resource: resource.oid, ...(pageSize ? { pageSize } : {}), ...(buckets ? { buckets } : {}) };
  return {
    type: 'startWorkflow',
    workflowType: runWorkflowTypes.recon,
    // Temporal appends each start's time to this id (recon:<oid>-2026-01-02T02:00:00Z).
    workflowId: workflowIds.resourceRun('recon', resource.oid),
    taskQueue: services.settings.TALLY_TASK_QUEUE,
    args: [input],
    typedSearchAttributes: [
      { key: searchAttributes.resource, value: resource.oid },
      { key: searchAttributes.state, value: 'running' },
    ],
  };
}

async function upsertSchedule(services: Services, scheduleId: string, cron: string, action: ScheduleOptionsAction): Promise<ScheduleChange['change']> {
  // Temporal compiles a cron into calendars and forgets the text; the cron's comment carries it back in describe().
  const spec = { cronExpressions: [`${cron} # ${cron}`] };
  const current = await describeSchedule(services.client, scheduleId);
  if (!current) {
    await services.client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
    return 'created';
  }
  if (cronOf(current) === cron && sameAction(current, action) && current.policies.overlap === ScheduleOverlapPolicy.SKIP) return 'unchanged';
  // The state is kept, so a schedule someone paused stays paused.
  await services.client.schedule.getHandle(scheduleId).update((previous) => ({ spec, action, policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP }, state: previous.state }));
  return 'updated';
}

function sameAction(current: ScheduleDescription, wanted: ScheduleOptionsAction): boolean {
  const a = current.action;
  return (
    a.workflowType === wanted.workflowType &&
    a.workflowId === wanted.workflowId &&
    a.taskQueue === wanted.taskQueue &&
    JSON.stringify(a.args) === JSON.stringify(wanted.args) &&
    attributeText(a.typedSearchAttributes) === attributeText(wanted.typedSearchAttributes)
  );
}

function attributeText(attributes: SearchAttributePair[] | TypedSearchAttributes | undefined): string {
  const pairs = attributes instanceof TypedSearchAttributes ? attributes.getAll() : (attributes ?? []);
  return pairs.map((p) => `${p.key.name}=${JSON.stringify(p.value)}`).sort().join(',');
}

/**
 * Ids of Tally's schedules: those listed with its prefix, and the stored resources' own, looked up
 * directly, as the listing may not show a schedule created or deleted a moment ago.
 */
async function candidateIds(services: Services, resources: StoredResource[]): Promise<string[]> {
  const ids = new Set(resources.map((r) => reconciliationScheduleId(r.oid)));
  for await (const summary of services.client.schedule.list()) {
    if (summary.scheduleId.startsWith(scheduleIdPrefix)) ids.add(summary.scheduleId);
  }
  return [...ids];
}

/** The schedules that exist and start workflows on this Tally's task queue: other Tallys sharing the namespace keep theirs. */
async function ownSchedules(services: Services, ids: string[]): Promise<ScheduleDescription[]> {
  const described = await Promise.all(ids.map((id) => describeSchedule(services.client, id)));
  return described.filter((d): d is ScheduleDescription => d?.action.taskQueue === services.settings.TALLY_TASK_QUEUE);
}

function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleDescription | undefined> {
  return client.schedule.getHandle(scheduleId).describe().catch(ignoreNotFound);
}

function ignoreNotFound(e: unknown): undefined {
  if (e instanceof ScheduleNotFoundError) return undefined;
  throw e;
}

function cronOf(schedule: ScheduleDescription): string {
  return schedule.spec.calendars?.map((c) => c.comment).find((comment) => !!comment) ?? '(not set by Tally)';
}

function normalizedCron(cron: string): string {
  return cron.trim().split(/\s+/).join(' ');
}

function resourceOidOf(scheduleId: string): string {
  return scheduleId.slice(scheduleIdPrefix.length);
}
