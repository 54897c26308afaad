import type { Connector } from '../connectors/connector-types';
import { ConnectorError } from '../connectors/connector-errors';
import { createConnector } from '../connectors';
import type { Repository, StoredResource } from '../repository/repository';
import type { SecretKey } from '../security/secret-key';
import { openingSealedValues } from './sealed-values';

/** One connector per resource, re-created when the resource's configuration is re-applied. */
export class ConnectorRegistry {
  private readonly cache = new Map<string, { version: number; connector: Connector }>();

  constructor(
    private readonly repo: Repository,
    /** Opens sealed values (passwords) in what connectors write. */
    private readonly key?: SecretKey,
  ) {}

  async resource(ref: string): Promise<StoredResource> {
    const resource = await this.repo.resource(ref);
    if (!resource) throw new ConnectorError('configuration', `resource '${ref}' is not configured (tally apply it first)`);
    return resource;
  }

  async connectorFor(ref: string): Promise<{ resource: StoredResource; connector: Connector }> {
    const resource = await this.resource(ref);
    const cached = this.cache.get(resource.oid);
    if (cached && cached.version === resource.version) return { resource, connector: cached.connector };
    if (cached) await cached.connector.close().catch(() => undefined);
    const connector = openingSealedValues(createConnector(resource.connector, resource.schemaHandling.objectType), this.key);
    this.cache.set(resource.oid, { version: resource.version, connector });
    return { resource, connector };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.cache.values()].map((c) => c.connector.close().catch(() => undefined)));
    this.cache.clear();
  }
}
