/**
 * `tally resource test`: can Tally reach the resource and log in, and are the object classes (tables)
 * and the attributes (columns) its schema handling maps there? Each check says ok or why not; no
 * secret is ever part of a message.
 */
import { isConnectorError } from '../connectors/connector-errors';
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
  return c.type === 'ldap' ? `${c.url} as ${c.bindDn}` : `${c.host}:${c.port}/${c.database} as ${c.user}`;
}

function reason(e: unknown): string {
  return isConnectorError(e) ? `${e.kind}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

export async function checkResource(deps: ProvisioningDeps, resource: StoredResource): Promise<ResourceCheck[]> {
  const { connector } = await deps.connectors.connectorFor(resource.oid);
  const checks: ResourceCheck[] = [];
  try {
    await connector.testConnection();
    checks.push({ check: 'connection', ok: true, message: `connected to ${who(resource)}` });
  } catch (e) {
    checks.push({ check: 'connection', ok: false, message: `cannot connect to ${who(resource)}: ${reason(e)}` });
    return checks;
  }
  let schema: { objectClass: string; attributes: string[] };
  try {
    schema = await connector.schema();
  } catch (e) {
    checks.push({ check: 'schema', ok: false, message: `cannot read the schema: ${reason(e)}` });
    return checks;
  }
  const offered = new Set(schema.attributes.map((a) => a.toLowerCase()));
  for (const type of resource.schemaHandling.objectType) {
    const what = `${type.kind}/${type.intent}`;
    const classThere = schema.objectClass.toLowerCase() === type.objectClass.toLowerCase() && schema.attributes.length > 0;
    checks.push({
      check: `object class ${type.objectClass} (${what})`,
      ok: classThere,
      message: classThere
        ? `${type.objectClass} offers ${schema.attributes.length} attributes`
        : schema.attributes.length === 0
          ? `the resource knows no ${resource.connector.type === 'postgres' ? 'table' : 'object class'} ${schema.objectClass}`
          : `the connector works on ${schema.objectClass}, not ${type.objectClass}`,
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
          : `missing on ${type.objectClass}: ${missing.join(', ')}`,
    });
  }
  return checks;
}
