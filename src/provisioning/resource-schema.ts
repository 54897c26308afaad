/**
 * The schema of a resource as configured (stored or not yet): what the objects of each of its object
 * types can have, read from the resource itself (an LDAP directory's subschema, a table's columns).
 */
import { createConnector } from '../connectors';
import { describeError } from './error-classification';
import { objectClassesOf } from '../model/resources';
import type { ResourceConfig } from '../schema/config';

export type ObjectTypeSchemas =
  | { read: true; objectTypes: Array<{ attributes: string[]; unknownClasses: string[] }> }
  | { read: false; reason: string };

export async function readObjectTypeSchemas(resource: ResourceConfig): Promise<ObjectTypeSchemas> {
  let connector;
  try {
    connector = createConnector(resource.connector, resource.schemaHandling.objectType);
    const objectTypes = [];
    for (const type of resource.schemaHandling.objectType) objectTypes.push(await connector.attributesOf(objectClassesOf(resource, type)));
    return { read: true, objectTypes };
  } catch (e) {
    return { read: false, reason: describeError(e) };
  } finally {
    await connector?.close().catch(() => undefined);
  }
}
