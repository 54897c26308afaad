/** The SCIM 2.0 connector, assembled from its connection, reading, writing and (absent) change reading. */
import type { ObjectTypeDefinition, ScimConnectorConfig } from '../../schema/config';
import { associationAttribute } from '../../schema/association-names';
import type { Connector } from '../connector-types';
import { changesSince, latestToken } from './scim-change-reading';
import { scimContext, testService } from './scim-connection';
import { discoverService } from './scim-discovery';
import { attributesOf, getUser, readSchema, searchUsers } from './scim-reading';
import type { ScimAssociation } from './scim-types';
import { createUser, deleteUser, modifyUser } from './scim-writing';

/** The account type's associations: each is the Groups' membership (members[].value holds the user's id). */
function scimAssociations(objectTypes: readonly ObjectTypeDefinition[]): ScimAssociation[] {
  return objectTypes
    .filter((t) => t.kind === 'account')
    .flatMap((t) => t.association ?? [])
    .map((a) => ({ attribute: associationAttribute(a.ref), referentialIntegrity: a.explicitReferentialIntegrity }));
}

/** Users as accounts, Groups as their entitlements, on a SCIM 2.0 service (RFC 7643/7644). */
export function createScimConnector(config: ScimConnectorConfig, objectTypes: readonly ObjectTypeDefinition[] = []): Connector {
  const ctx = scimContext(config, scimAssociations(objectTypes));
  const connector: Connector & { toString(): string; toJSON(): object } = {
    testConnection: () => testService(ctx),
    describeService: () => discoverService(ctx),
    schema: () => readSchema(ctx),
    attributesOf: (objectClasses) => attributesOf(ctx, objectClasses),
    get: (identifiers, attributesToGet) => getUser(ctx, identifiers, attributesToGet),
    search: (options) => searchUsers(ctx, options),
    create: (name, attributes) => createUser(ctx, name, attributes),
    modify: (id, deltas) => modifyUser(ctx, id, deltas),
    delete: (id) => deleteUser(ctx, id),
    latestToken: () => latestToken(ctx),
    changesSince: () => changesSince(ctx),
    close: async () => undefined,
    toString: () => `ScimConnector(${ctx.baseUrl})`,
    toJSON: () => ({ type: 'scim', baseUrl: ctx.baseUrl, deprovision: config.deprovision }),
  };
  return connector;
}
