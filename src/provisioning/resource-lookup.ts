/**
 * The one way to find a configured resource by oid or name: the configuration store's lookup
 * (`repo.config.resource`, null when there is none) for callers that answer absence themselves, and
 * `resourceOf` for every caller that needs the resource.
 */
import { ConnectorError } from '../connectors/connector-errors';
import type { StoredResource } from '../repository/repository';
import type { ProvisioningDeps } from './provisioning-deps';

/** The resource, or the configuration error "resource 'X' is not configured (tally apply it first)". */
export async function resourceOf(deps: Pick<ProvisioningDeps, 'repo'>, ref: string): Promise<StoredResource> {
  const resource = await deps.repo.config.resource(ref);
  if (!resource) throw new ConnectorError('configuration', `resource '${ref}' is not configured (tally apply it first)`);
  return resource;
}
