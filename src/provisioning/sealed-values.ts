/**
 * Sealed attribute values (`enc:v1:...`, a user's password given to an account as it is) travel sealed
 * through plans, pending operations, shadows and workflow histories; they are opened here, in the
 * connector call, and nowhere else. Connectors then store them as the resource wants (hashed).
 */
import type { Connector } from '../connectors/connector-types';
import { ConnectorError } from '../connectors/connector-errors';
import type { AttributeDelta, AttributeValue, Attributes } from '../schema/objects';
import { decryptSecret, isEncryptedSecret } from '../security/secret-box';
import type { SecretKey } from '../security/secret-key';

function openValues(values: readonly AttributeValue[] | undefined, key: SecretKey | undefined): AttributeValue[] | undefined {
  if (values === undefined || !values.some(isEncryptedSecret)) return values as AttributeValue[] | undefined;
  if (!key) throw new ConnectorError('configuration', 'a sealed value (a password) is to be written, but no secret key was given to open it');
  return values.map((v) => (isEncryptedSecret(v) ? decryptSecret(v, key) : v));
}

export function openAttributes(attributes: Attributes, key: SecretKey | undefined): Attributes {
  return Object.fromEntries(Object.entries(attributes).map(([name, values]) => [name, openValues(values, key)!]));
}

export function openDeltas(deltas: readonly AttributeDelta[], key: SecretKey | undefined): AttributeDelta[] {
  return deltas.map((d) => ({
    path: d.path,
    ...(d.replace !== undefined ? { replace: openValues(d.replace, key) } : {}),
    ...(d.add !== undefined ? { add: openValues(d.add, key) } : {}),
    ...(d.delete !== undefined ? { delete: openValues(d.delete, key) } : {}),
  }));
}

/** The connector with sealed values opened in what it writes. */
export function openingSealedValues(connector: Connector, key: SecretKey | undefined): Connector {
  const createMany = connector.createMany?.bind(connector);
  const modifyMany = connector.modifyMany?.bind(connector);
  return Object.assign(Object.create(connector) as Connector, {
    create: (name: string, attributes: Attributes) => connector.create(name, openAttributes(attributes, key)),
    modify: (primaryIdentifier: string, deltas: AttributeDelta[]) => connector.modify(primaryIdentifier, openDeltas(deltas, key)),
    ...(createMany
      ? { createMany: (objects: ReadonlyArray<{ secondaryIdentifier: string; attributes: Attributes }>) => createMany(objects.map((o) => ({ ...o, attributes: openAttributes(o.attributes, key) }))) }
      : {}),
    ...(modifyMany
      ? { modifyMany: (modifications: ReadonlyArray<{ primaryIdentifier: string; deltas: AttributeDelta[] }>) => modifyMany(modifications.map((m) => ({ ...m, deltas: openDeltas(m.deltas, key) }))) }
      : {}),
  });
}
