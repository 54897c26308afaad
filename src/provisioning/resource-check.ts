/**
 * `tally resource test`: can Tally reach the resource and log in, and are the object classes (tables)
 * and the attributes (columns) its schema handling maps there? Each check says ok or why not; no
 * secret is ever part of a message.
 */
import { isDirectoryConnector } from '../schema/config';
import { describeError } from './error-classification';
import type { StoredResource } from '../repository/repository';
import type { ProvisioningDeps } from './provisioning-deps';

export interface ResourceCheck {
  check: string;
  ok: boolean;
  message: string;
}

/** `icfs:name` and `icfs:uid` are the connector's identifiers, not schema attributes; `ri:x` is x. */
const schemaAttributeName = (ref: string): string | null => (ref.startsWith('icfs:') ? null : ref.replace(/^ri:/, ''));

function who(resource: StoredResource): string {
  const c = resource.connector;
  if (c.type === 'csv') return c.file;
  if (c.type === 'scim-service') return 'the users and groups pushed at /scim/v2';
  if (c.type === 'scim') return c.baseUrl;
  return isDirectoryConnector(c) ? `${c.url} as ${c.bindDn}` : `${c.host}:${c.port}/${c.database} as ${c.user}`;
}

export async function checkResource(deps: ProvisioningDeps, resource: StoredResource): Promise<ResourceCheck[]> {
  const { connector } = await deps.connectors.connectorFor(resource.oid);
  const checks: ResourceCheck[] = [];
  try {
    await connector.testConnection();
    checks.push({ check: 'connection', ok: true, message: `connected to ${who(resource)}` });
  } catch (e) {
    checks.push({ check: 'connection', ok: false, message: `cannot connect to ${who(resource)}: ${describeError(e)}` });
    return checks;
  }
  if (connector.describeService) {
    try {
      for (const line of await connector.describeService()) checks.push({ check: line.check, ok: true, message: line.message });
    } catch (e) {
      checks.push({ check: 'discovery', ok: false, message: `cannot read what the service says of itself: ${describeError(e)}` });
    }
  }
  let schema: { objectClass: string; attributes: string[] };
  try {
    schema = await connector.schema();
  } catch (e) {
    checks.push({ check: 'schema', ok: false, message: `cannot read the schema: ${describeError(e)}` });
    return checks;
  }
  const offered = new Set(schema.attributes.map((a) => a.toLowerCase()));
  const c = resource.connector;
  for (const type of resource.schemaHandling.objectType) {
    const what = `${type.kind}/${type.intent}`;
    // A PostgreSQL resource's objects are its table's rows, a CSV one's its file's; an LDAP one's entries of the connector's object classes.
    const container = c.type === 'postgres' ? `table ${c.table}` : c.type === 'csv' ? `file ${c.file}` : `object class ${type.objectClass}`;
    // An object type with its own object classes (LDAP groups) creates entries of those, the others the connector's.
    const created = !isDirectoryConnector(c) ? [] : (type.objectClasses ?? (type.kind === 'account' ? c.objectClasses : [type.objectClass]));
    const served = !isDirectoryConnector(c) || created.some((oc) => oc.toLowerCase() === type.objectClass.toLowerCase());
    const classThere = served && schema.attributes.length > 0;
    checks.push({
      check: `${container} (${what})`,
      ok: classThere,
      message: classThere
        ? `${container} has ${schema.attributes.length} attributes`
        : !served
          ? `the connector creates entries of ${isDirectoryConnector(c) ? created.join(', ') : schema.objectClass}, not ${type.objectClass}`
          : `the resource has no ${container}`,
    });
    if (!classThere) continue;
    const mapped = type.attribute.map((a) => schemaAttributeName(a.ref)).filter((a): a is string => a !== null);
    const missing = mapped.filter((a) => !offered.has(a.toLowerCase()));
    checks.push({
      check: `mapped attributes (${what})`,
      ok: missing.length === 0,
      message:
        missing.length === 0
          ? `all ${mapped.length} mapped attributes exist: ${mapped.join(', ')}`
          : `missing on ${c.type === 'postgres' ? c.table : type.objectClass}: ${missing.join(', ')}`,
    });
  }
  return checks;
}
