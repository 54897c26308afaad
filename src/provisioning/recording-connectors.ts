/**
 * Connectors as a simulation sees them: reads go to the resource, writes are recorded and answered as
 * the resource would (an add gets a made-up identifier, a modify returns the object with the deltas
 * applied), so the routine goes on as it would and the recording says what it would have sent.
 */
import { randomUUID } from 'node:crypto';
import { CONNECTOR_OPERATIONS, NAME_PATH, type Connector } from '../connectors/connector-types';
import type { ConnectorRegistry, ObjectTypeRef } from './connector-registry';
import type { ProvisioningDeps } from './provisioning-deps';
import { applyAttributeDeltas, attributeName, findObjectType, includesValue } from '../model';
import type { StoredResource } from '../repository/repository';
import type { AttributeDelta, Attributes, ResourceObject } from '../schema/objects';
import { redact } from '../security/redact';
import type { AccountOperationKind, SimulatedAccountOperation } from '../model/simulation';

/** The made-up identifier of an account a simulation adds. */
export const SIMULATED_ID_PREFIX = 'simulated:';

/** Hidden values: a sealed or plain password is never shown. */
const shown = <T extends Attributes | AttributeDelta[]>(value: T): T => redact(value);

/** modify is disable or enable when it sets the object type's status attribute to its disabled or enabled value. */
export function modifyKind(resource: StoredResource, objectType: ObjectTypeRef | undefined, deltas: readonly AttributeDelta[]): AccountOperationKind {
  const status = findObjectType(resource, objectType?.kind, objectType?.intent)?.activation?.administrativeStatus;
  if (!status) return 'modify';
  const delta = deltas.find((d) => attributeName(d.path).toLowerCase() === status.attribute.toLowerCase());
  if (!delta) return 'modify';
  const set = delta.replace ?? delta.add ?? [];
  if (includesValue(set.map(String), String(status.disabledValue))) return 'disable';
  if (status.enabledValue !== undefined ? includesValue(set.map(String), String(status.enabledValue)) : (delta.replace?.length === 0 || !!delta.delete)) return 'enable';
  return 'modify';
}

function recordingConnector(
  real: Connector,
  resource: StoredResource,
  objectType: ObjectTypeRef | undefined,
  record: (op: SimulatedAccountOperation) => void,
  made: Map<string, ResourceObject>,
): Connector {
  const current = async (primaryIdentifier: string): Promise<ResourceObject | null> =>
    made.get(primaryIdentifier) ?? (await real.get({ primaryIdentifier }).catch(() => null));
  const base = { resource: resource.name, resourceOid: resource.oid };
  const objectClass = findObjectType(resource, objectType?.kind, objectType?.intent)?.objectClass ?? '';
  const create = async (secondaryIdentifier: string, attributes: Attributes): Promise<ResourceObject> => {
    const object = { primaryIdentifier: `${SIMULATED_ID_PREFIX}${randomUUID()}`, secondaryIdentifier, objectClass, attributes };
    made.set(object.primaryIdentifier, object);
    record({ ...base, operation: 'add', account: secondaryIdentifier, attributes: shown(attributes) });
    return object;
  };
  return {
    testConnection: () => real.testConnection(),
    schema: () => real.schema(),
    attributesOf: (classes) => real.attributesOf(classes),
    ...(real.nameTaken ? { nameTaken: (name: string) => real.nameTaken!(name) } : {}),
    get: async (identifiers, attributesToGet) => {
      const simulated = identifiers.primaryIdentifier ? made.get(identifiers.primaryIdentifier) : undefined;
      return simulated ?? real.get(identifiers, attributesToGet);
    },
    search: (options) => real.search(options),
    create,
    createMany: async (objects) => Promise.all(objects.map((o) => create(o.secondaryIdentifier, o.attributes))),
    modify: async (primaryIdentifier, deltas) => {
      const object = await current(primaryIdentifier);
      const rename = deltas.find((d) => d.path === NAME_PATH);
      const name = (rename?.replace?.[0] as string | undefined) ?? object?.secondaryIdentifier ?? primaryIdentifier;
      const after: ResourceObject = {
        primaryIdentifier,
        secondaryIdentifier: name,
        objectClass: object?.objectClass ?? objectClass,
        attributes: applyAttributeDeltas(object?.attributes ?? {}, deltas.filter((d) => d !== rename)),
      };
      record({ ...base, operation: modifyKind(resource, objectType, deltas), account: name, deltas: shown([...deltas]) });
      return after;
    },
    delete: async (primaryIdentifier) => {
      const object = await current(primaryIdentifier);
      record({ ...base, operation: 'delete', account: object?.secondaryIdentifier ?? primaryIdentifier });
    },
    latestToken: () => real.latestToken(),
    changesSince: (token, limit) => real.changesSince(token, limit),
    // The real connector stays open for the real runs sharing it.
    close: async () => undefined,
  };
}

/** The registry whose connectors record their writes into `record` instead of making them. */
export function recordingConnectors(deps: Pick<ProvisioningDeps, 'connectors'>, record: (op: SimulatedAccountOperation) => void): ConnectorRegistry {
  const real = deps.connectors;
  // Accounts the simulation added, by their made-up identifier: later reads of them find them.
  const made = new Map<string, ResourceObject>();
  const recording: Pick<ConnectorRegistry, 'connectorFor' | 'closeAll'> = {
    async connectorFor(ref, objectType) {
      const { resource, connector } = await real.connectorFor(ref, objectType);
      return { resource, connector: recordingConnector(connector, resource, objectType, record, made) };
    },
    closeAll: async () => undefined,
  };
  return recording as ConnectorRegistry;
}

/**
 * The registry whose connectors work as usual and report each delete, disable, enable and modification
 * they did (a live sync counts them against its thresholds).
 */
export function countingConnectors(deps: Pick<ProvisioningDeps, 'connectors'>, done: (operation: AccountOperationKind) => void): ConnectorRegistry {
  const real = deps.connectors;
  const counting: Pick<ConnectorRegistry, 'connectorFor' | 'closeAll'> = {
    async connectorFor(ref, objectType) {
      const { resource, connector } = await real.connectorFor(ref, objectType);
      return {
        resource,
        connector: {
          ...bound(connector),
          modify: async (primaryIdentifier, deltas) => {
            const object = await connector.modify(primaryIdentifier, deltas);
            done(modifyKind(resource, objectType, deltas));
            return object;
          },
          ...(connector.modifyMany
            ? {
                modifyMany: async (modifications: Parameters<NonNullable<Connector['modifyMany']>>[0]) => {
                  const objects = await connector.modifyMany!(modifications);
                  objects.forEach((object, i) => object && done(modifyKind(resource, objectType, modifications[i].deltas)));
                  return objects;
                },
              }
            : {}),
          delete: async (primaryIdentifier) => {
            await connector.delete(primaryIdentifier);
            done('delete');
          },
        },
      };
    },
    closeAll: () => real.closeAll(),
  };
  return counting as ConnectorRegistry;
}

/** The connector's methods bound to it, so they can be spread into another object. */
function bound(connector: Connector): Connector {
  const methods = Object.fromEntries(
    [...CONNECTOR_OPERATIONS, 'close' as const]
      .filter((name) => typeof connector[name] === 'function')
      .map((name) => [name, (connector[name] as (...args: unknown[]) => unknown).bind(connector)]),
  );
  return methods as unknown as Connector;
}
