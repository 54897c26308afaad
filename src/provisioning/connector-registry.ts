import type { Connector } from '../connectors/connector-types';
import { createConnector } from '../connectors';
import type { Repository, StoredResource } from '../repository/repository';
import type { SecretKey } from '../security/secret-key';
import { openingSealedValues } from './sealed-values';
import { requireObjectType } from '../model/resources';
import { resourceOf } from './resource-lookup';
import { measuredConnector } from './measured-connectors';

/** Which of a resource's object types (a shadow's kind and intent). */
export interface ObjectTypeRef {
  kind: string;
  intent: string;
}

/** One connector per resource, re-created when the resource's configuration is re-applied. */
export class ConnectorRegistry {
  private readonly cache = new Map<string, { version: number; connector: Connector }>();

  constructor(
    private readonly repo: Repository,
    /** Opens sealed values (passwords) in what connectors write. */
    private readonly key?: SecretKey,
  ) {}

  /**
   * The resource's connector; with `objectType` of a kind other than account (a role's own group), one
   * that works on that type's objects.
   */
  async connectorFor(ref: string, objectType?: ObjectTypeRef): Promise<{ resource: StoredResource; connector: Connector }> {
    const resource = await resourceOf({ repo: this.repo }, ref);
    const scope = objectType && objectType.kind !== 'account' ? requireObjectType(resource, objectType.kind, objectType.intent) : undefined;
    const key = scope ? `${resource.oid}/${scope.kind}/${scope.intent}` : resource.oid;
    const cached = this.cache.get(key);
    if (cached && cached.version === resource.version) return { resource, connector: cached.connector };
    if (cached) await cached.connector.close().catch(() => undefined);
    const pushed = resource.connector.type === 'scim-service' ? this.repo.scimObjects.ofResource(resource.oid) : undefined;
    const connector = measuredConnector(resource.name, openingSealedValues(createConnector(resource.connector, resource.schemaHandling.objectType, scope, pushed), this.key));
    this.cache.set(key, { version: resource.version, connector });
    return { resource, connector };
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.cache.values()].map((c) => c.connector.close().catch(() => undefined)));
    this.cache.clear();
  }
}
