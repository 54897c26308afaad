/**
 * Listings for operators (CLI `tally user list|resources|roles|templates`, HTTP API): users a page at a
 * time, and the applied configuration as people look at it. Secrets are never part of a listing.
 */
import type { UserDoc } from '../schema/objects';
import { isDirectoryConnector } from '../schema/config';
import type { ResourceListing, RoleListing, TemplateListing, UserListing } from '../schema/api';
import type { Services } from '../runtime/services';
import type { StoredResource } from '../repository/repository';
import { workflowIds } from '../workflows/workflow-ids';
import { reconciliationScheduleId } from './reconciliation-schedules';

export type { ResourceListing, RoleListing, TemplateListing, UserListing };

export const userListLimits = { default: 50, max: 500 } as const;

/** Users in name order, `limit` at a time; `name` keeps those whose name contains it (any case). */
export async function listUsers(services: Services, options: { name?: string; limit?: number; after?: string }): Promise<UserListing> {
  const limit = Math.min(userListLimits.max, options.limit ?? userListLimits.default);
  // One more than asked tells whether a next page exists.
  const found = await services.repo.users.list({ nameContains: options.name || undefined, after: options.after || undefined, limit: limit + 1 });
  const page = found.slice(0, limit);
  return {
    users: page.map((u: UserDoc) => ({
      oid: u.oid,
      name: u.name,
      ...(u.fullName !== undefined ? { fullName: u.fullName } : {}),
      assignments: u.assignment.length,
      accounts: u.linkRef.length,
      modified: u.metadata.modifyTimestamp,
    })),
    ...(found.length > limit ? { next: page[page.length - 1].name } : {}),
  };
}

function endpointOf(resource: StoredResource): string {
  const c = resource.connector;
  if (c.type === 'csv') return `file ${c.file}`;
  if (c.type === 'scim-service') return 'pushed over SCIM at /scim/v2';
  if (c.type === 'scim') return c.baseUrl;
  return isDirectoryConnector(c) ? `${c.url} ${c.baseContext}` : `postgres://${c.host}:${c.port}/${c.database} table ${c.table}`;
}

export function presentResource(resource: StoredResource, counts?: ResourceListing['shadows']): ResourceListing {
  const recon = resource.reconciliation ?? {};
  return {
    oid: resource.oid,
    name: resource.name,
    ...(resource.description ? { description: resource.description } : {}),
    connectorType: resource.connector.type,
    endpoint: endpointOf(resource),
    objectTypes: resource.schemaHandling.objectType.map((t) => ({ kind: t.kind, intent: t.intent, objectClass: t.objectClass, attributes: t.attribute.length })),
    liveSync: {
      configured: resource.liveSync !== undefined,
      ...(resource.liveSync?.interval !== undefined ? { interval: resource.liveSync.interval } : {}),
      ...(resource.liveSync?.batchSize !== undefined ? { batchSize: resource.liveSync.batchSize } : {}),
      workflowId: workflowIds.liveSync(resource.oid),
    },
    reconciliation: {
      ...(recon.schedule ? { schedule: recon.schedule, scheduleId: reconciliationScheduleId(resource.oid) } : {}),
      ...(recon.pageSize ? { pageSize: recon.pageSize } : {}),
      ...(recon.buckets ? { buckets: recon.buckets } : {}),
    },
    assignmentPolicyEnforcement: resource.consistency.assignmentPolicyEnforcement,
    shadows: counts ?? { total: 0, existing: 0, dead: 0, pending: 0 },
  };
}

export async function listResources(services: Services): Promise<ResourceListing[]> {
  const [{ resources }, counts] = await Promise.all([services.repo.config.snapshot(), services.repo.shadows.countsByResource()]);
  return [...resources].sort((a, b) => a.name.localeCompare(b.name)).map((r) => presentResource(r, counts.get(r.oid)));
}

/** One resource by oid or name; null when there is none. */
export async function showResource(services: Services, ref: string): Promise<ResourceListing | null> {
  const resource = await services.repo.config.resource(ref);
  if (!resource) return null;
  return presentResource(resource, (await services.repo.shadows.countsByResource()).get(resource.oid));
}

export async function listRoles(services: Services): Promise<RoleListing[]> {
  const { roles } = await services.repo.config.snapshot();
  const resourceName = async (ref: string) => (await services.repo.config.resource(ref))?.name ?? ref;
  const roleName = (ref: string) => roles.find((r) => r.oid === ref || r.name === ref)?.name ?? ref;
  return Promise.all(
    [...roles]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (role) => ({
        oid: role.oid,
        name: role.name,
        ...(role.description ? { description: role.description } : {}),
        inducements: await Promise.all(
          (role.inducement ?? []).map(async (i) =>
            i.construction
              ? `account on ${await resourceName(i.construction.resourceRef)} (${i.construction.kind}/${i.construction.intent})`
              : i.targetRef
                ? `role ${roleName(i.targetRef)}`
                : `${i.focusMappings?.mapping.length ?? 0} focus mapping(s)`,
          ),
        ),
      })),
  );
}

export async function listTemplates(services: Services): Promise<TemplateListing[]> {
  const { objectTemplates } = await services.repo.config.snapshot();
  return [...objectTemplates]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => ({
      oid: t.oid,
      name: t.name,
      mappings: (t.mapping ?? []).map((m) => `${m.strength ?? 'normal'} ${(m.source ?? []).map((s) => s.path).join(', ') || '(no source)'} -> ${m.target?.path ?? '?'}`),
    }));
}
