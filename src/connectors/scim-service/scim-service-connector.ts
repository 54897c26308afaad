/**
 * The connector of a resource services push users to over SCIM (Tally's SCIM service provider): it reads
 * the users pushed, for import, reconciliation and the synchronization of each change event. What the
 * services push is theirs to write: Tally deletes a pushed user (its deprovisioning) but creates and
 * modifies none.
 */
import type { ScimServiceConnectorConfig } from '../../schema/config';
import { ConnectorError } from '../connector-errors';
import type { Connector } from '../connector-types';
import { decodeCursor, encodeCursor } from '../search-cursor';
import { resolveSecret } from '../secrets';
import type { PushedObjects, ScimServiceContext } from './scim-service-types';
import { SCIM_USER_ATTRIBUTES, SCIM_USER_OBJECT_CLASS, userObject } from './scim-user-attributes';

const notWritten = (what: string) =>
  new ConnectorError('configuration', `${what}: the users of a SCIM service resource are written by the services that push them to /scim/v2, not by Tally`);

const noChangelog = () => new ConnectorError('configuration', 'a SCIM service resource has no changelog: what services push to /scim/v2 comes as change events');

async function getUser(ctx: ScimServiceContext, identifiers: { primaryIdentifier?: string; secondaryIdentifier?: string }) {
  const found = identifiers.primaryIdentifier !== undefined ? await ctx.objects.get('User', identifiers.primaryIdentifier) : await ctx.objects.byUserName(identifiers.secondaryIdentifier ?? '');
  if (!found) throw new ConnectorError('not-found', `no pushed user ${identifiers.primaryIdentifier ?? identifiers.secondaryIdentifier}`);
  return userObject(found, await ctx.objects.groupsOf(found.id));
}

async function searchUsers(ctx: ScimServiceContext, options: { cursor?: string; pageSize?: number }) {
  const after = options.cursor ? decodeCursor(options.cursor, (d): d is { after: string } => typeof (d as { after?: unknown })?.after === 'string').after : undefined;
  const limit = options.pageSize ?? ctx.pageSize;
  const users = await ctx.objects.page('User', after, limit);
  const objects = await Promise.all(users.map(async (u) => userObject(u, await ctx.objects.groupsOf(u.id))));
  return { objects, ...(users.length === limit ? { cursor: encodeCursor({ after: users[users.length - 1]!.id }) } : {}) };
}

/** `objects`: the pushed objects of this resource; without them (a configuration checked before it is stored) only the schema answers. */
export function createScimServiceConnector(config: ScimServiceConnectorConfig, objects?: PushedObjects): Connector {
  const context = (): ScimServiceContext => {
    if (!objects) throw new ConnectorError('configuration', 'the SCIM service connector reads what was pushed to a stored resource');
    return { objects, pageSize: config.pageSize };
  };
  const connector: Connector & { toString(): string; toJSON(): object } = {
    testConnection: async () => {
      resolveSecret(config.token);
      context();
    },
    schema: async () => ({ objectClass: SCIM_USER_OBJECT_CLASS, attributes: [...SCIM_USER_ATTRIBUTES] }),
    attributesOf: async (classes) => ({
      attributes: [...SCIM_USER_ATTRIBUTES],
      unknownClasses: classes.filter((c) => c.toLowerCase() !== SCIM_USER_OBJECT_CLASS.toLowerCase()),
    }),
    get: (identifiers) => getUser(context(), identifiers),
    search: (options) => searchUsers(context(), options),
    create: async (name) => {
      throw notWritten(`create ${name}`);
    },
    modify: async (id) => {
      throw notWritten(`modify ${id}`);
    },
    delete: async (id) => {
      if (!(await context().objects.markDeleted('User', id, new Date().toISOString()))) throw new ConnectorError('not-found', `no pushed user ${id}`);
    },
    latestToken: async () => {
      throw noChangelog();
    },
    changesSince: async () => {
      throw noChangelog();
    },
    close: async () => undefined,
    toString: () => 'ScimServiceConnector',
    toJSON: () => ({ type: 'scim-service' }),
  };
  return connector;
}
