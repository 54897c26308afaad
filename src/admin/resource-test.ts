/** `tally resource test <resource>`, `POST /api/v1/resources/{ref}/test`: connection and schema checks. */
import type { ResourceTest } from '../schema/api';
import type { Services } from '../runtime/services';
import { checkResource } from '../provisioning';
import { appliedResource } from './resource-runs';

export async function testResource(services: Services, ref: string): Promise<ResourceTest> {
  const resource = await appliedResource(services, ref);
  const checks = await checkResource(services.syncDeps, resource);
  return { resource: resource.name, resourceOid: resource.oid, ok: checks.every((c) => c.ok), checks };
}
