/**
 * What the service says of itself (RFC 7644 §4): its ServiceProviderConfig, Schemas and ResourceTypes,
 * each summarised in a line for `tally resource test`.
 */
import type { ScimContext } from './scim-connection';
import type { ScimListResponse, ScimResource } from './scim-types';

const supported = (feature: unknown) => (feature as { supported?: unknown } | undefined)?.supported === true;

function features(config: ScimResource): string {
  const bulk = config.bulk as { maxOperations?: number } | undefined;
  const filter = config.filter as { maxResults?: number } | undefined;
  const schemes = ((config.authenticationSchemes as Array<{ type?: string }> | undefined) ?? []).map((s) => s.type).filter(Boolean);
  return [
    `patch ${supported(config.patch) ? 'yes' : 'no (modifies are PUT)'}`,
    `bulk ${supported(config.bulk) ? `yes (${bulk?.maxOperations ?? '?'} operations)` : 'no'}`,
    `filter ${supported(config.filter) ? `yes (${filter?.maxResults ?? '?'} results)` : 'no'}`,
    `etag ${supported(config.etag) ? 'yes' : 'no'}`,
    `sort ${supported(config.sort) ? 'yes' : 'no'}`,
    `changePassword ${supported(config.changePassword) ? 'yes' : 'no'}`,
    `authentication ${schemes.join(', ') || 'not said'}`,
  ].join(', ');
}

const listed = (answer: { body: ScimResource }) => (answer.body as ScimListResponse).Resources ?? [];

export async function discoverService(ctx: ScimContext): Promise<Array<{ check: string; message: string }>> {
  const [config, schemas, types] = await Promise.all([
    ctx.request('GET', '/ServiceProviderConfig', 'read the service provider configuration'),
    ctx.request('GET', '/Schemas', 'read the schemas'),
    ctx.request('GET', '/ResourceTypes', 'read the resource types'),
  ]);
  const resourceTypes = listed(types).map((t) => {
    const extensions = ((t.schemaExtensions as Array<{ schema?: string }> | undefined) ?? []).map((e) => e.schema?.split(':').slice(-3).join(':'));
    return `${String(t.name)} at ${String(t.endpoint)}${extensions.length > 0 ? ` (extensions ${extensions.join(', ')})` : ''}`;
  });
  return [
    { check: 'ServiceProviderConfig', message: features(config.body) },
    { check: 'Schemas', message: listed(schemas).map((s) => `${String(s.name ?? s.id)} (${(s.attributes as unknown[] | undefined)?.length ?? 0} attributes)`).join(', ') },
    { check: 'ResourceTypes', message: resourceTypes.join(', ') },
  ];
}
