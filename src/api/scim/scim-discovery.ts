/** The discovery documents of Tally's SCIM service provider (RFC 7644 section 4): what it supports, its resource types. */
import { SCIM_SCHEMAS, scimResourceTypes, type ScimResourceType } from '../../schema/scim';
import { resourceTypeSchemas } from './scim-schemas';

/** Most resources a list answers at once; a larger `count` is taken as this. */
export const MAX_RESULTS = 1000;

export function serviceProviderConfig(base: string) {
  return {
    schemas: [SCIM_SCHEMAS.serviceProviderConfig],
    documentationUri: 'https://github.com/tally-idm/tally/blob/main/docs/scim.md',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: "The resource's own token, sent as Authorization: Bearer <token>", primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceType(type: ScimResourceType, base: string) {
  const { schema, extensions } = resourceTypeSchemas[type];
  return {
    schemas: [SCIM_SCHEMAS.resourceType],
    id: type,
    name: type,
    endpoint: `/${type}s`,
    description: schema.description,
    schema: schema.id,
    ...(extensions.length > 0 ? { schemaExtensions: extensions.map((e) => ({ schema: e.id, required: false })) } : {}),
    meta: { resourceType: 'ResourceType', location: `${base}/ResourceTypes/${type}` },
  };
}

export const resourceTypes = (base: string) => scimResourceTypes.map((type) => resourceType(type, base));
