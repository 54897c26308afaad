/**
 * Shadows: the repository's memory of resource objects. A shadow is created before anything else is
 * done for a resource object, holding its identifiers.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectTypeDefinition, ResourceConfig } from '../schema/config';
import type { ResourceObject, ShadowDoc } from '../schema/objects';
import type { Repository } from '../repository/repository';
import { isDuplicateKeyError } from '../repository/errors';
import { ConfigurationLookupError } from '../model/resources';
import { setFields } from '../repository/versioned';

export function defaultObjectType(resource: ResourceConfig, kind = 'account', intent?: string): ObjectTypeDefinition {
  const types = resource.schemaHandling.objectType.filter((t) => t.kind === kind);
  const found =
    (intent ? types.find((t) => t.intent === intent) : undefined) ?? types.find((t) => t.default) ?? types[0];
  if (!found) throw new ConfigurationLookupError(`resource '${resource.name}' has no object type of kind ${kind} in schemaHandling`);
  return found;
}

export function newShadow(fields: {
  resourceRef: string;
  objectType: ObjectTypeDefinition;
  primaryIdentifier: string | null;
  secondaryIdentifier: string | null;
  exists: boolean;
  ownerRef?: string | null;
  now: string;
  channel?: string;
}): ShadowDoc {
  return {
    oid: randomUUID(),
    resourceRef: fields.resourceRef,
    objectClass: fields.objectType.objectClass,
    kind: fields.objectType.kind,
    intent: fields.objectType.intent,
    primaryIdentifier: fields.primaryIdentifier,
    secondaryIdentifier: fields.secondaryIdentifier,
    ownerRef: fields.ownerRef ?? null,
    // Provisioning creates shadows for their owner: they start linked.
    ...(fields.ownerRef ? { situation: 'linked' as const, situationTimestamp: fields.now } : {}),
    exists: fields.exists,
    dead: false,
    iteration: 0,
    iterationToken: '',
    pendingOperations: [],
    version: 1,
    metadata: { createTimestamp: fields.now, modifyTimestamp: fields.now, createChannel: fields.channel, modifyChannel: fields.channel },
  };
}

/**
 * Finds the shadow of a resource object, or creates one holding its identifiers. Renames (a new
 * secondary identifier for a known primary one) update the shadow.
 */
export async function ensureShadow(
  repo: Repository,
  resource: ResourceConfig & { oid: string },
  object: Pick<ResourceObject, 'primaryIdentifier' | 'secondaryIdentifier'> & { attributes?: ResourceObject['attributes'] },
  channel: string,
  now = new Date().toISOString(),
): Promise<{ shadow: ShadowDoc; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await repo.shadowByIdentifiers(resource.oid, object);
    if (existing) {
      const renamed = existing.secondaryIdentifier !== object.secondaryIdentifier && !!object.secondaryIdentifier;
      const identified = !existing.primaryIdentifier && !!object.primaryIdentifier;
      if (!renamed && !identified && !object.attributes) return { shadow: existing, created: false };
      const updated = await setFields(repo.shadows, existing.oid, {
        secondaryIdentifier: object.secondaryIdentifier,
        primaryIdentifier: object.primaryIdentifier ?? existing.primaryIdentifier,
        ...(object.attributes ? { attributes: object.attributes } : {}),
        'metadata.modifyTimestamp': now,
        'metadata.modifyChannel': channel,
      });
      return { shadow: updated ?? existing, created: false };
    }
    const shadow = newShadow({
      resourceRef: resource.oid,
      objectType: defaultObjectType(resource),
      primaryIdentifier: object.primaryIdentifier,
      secondaryIdentifier: object.secondaryIdentifier,
      exists: true,
      now,
      channel,
    });
    if (object.attributes) shadow.attributes = object.attributes;
    try {
      // false: a concurrent change created the shadow first; the next lookup finds it.
      if (await repo.insertShadow(shadow)) return { shadow, created: true };
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
  }
  throw new Error(`could not create a shadow for ${object.secondaryIdentifier} on ${resource.name}`);
}
