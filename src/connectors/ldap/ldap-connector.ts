/** The LDAP connector, assembled from its connection, reading, writing and change reading. */
import type { Connector } from '../connector-types';
import { resolveSecret } from '../secrets';
import type { LdapAssociation } from './ldap-associations';
import { changesSince, latestToken } from './ldap-change-reading';
import { LdapConnection, testLdapConnection, type LdapContext, type SecretResolver } from './ldap-connection';
import type { LdapDelineation } from './ldap-delineation';
import { attributesOf, getAccount, getAccounts, nameTaken, readSchema, searchAccounts } from './ldap-reading';
import { LdapSearchSessions } from './ldap-search-sessions';
import type { LdapConnectorConfig } from './ldap-types';
import { createEntry, deleteEntry, modifyEntry } from './ldap-writing';

/**
 * The connector reads and writes the account type, delineated by `config.baseContext` and `config.searchFilter`.
 * @param associations the account type's associations (see ldap-object-types): memberships are read
 *   into and written from their pseudo-attributes (`association/group`).
 * @param entitlements the resource's other object types: a change of one of their entries under the
 *   accounts' base context is not an account's change.
 */
export function createLdapConnector(
  config: LdapConnectorConfig,
  resolve: SecretResolver = resolveSecret,
  associations: readonly LdapAssociation[] = [],
  entitlements: readonly LdapDelineation[] = [],
): Connector {
  return assembleLdapConnector(ldapContext(config, new LdapConnection(config, resolve), associations, entitlements));
}

/** The context of a connector on `connection` (a directory's own connection, such as Active Directory's). */
export function ldapContext(
  config: LdapConnectorConfig,
  connection: LdapConnection,
  associations: readonly LdapAssociation[] = [],
  entitlements: readonly LdapDelineation[] = [],
): LdapContext {
  return {
    config,
    connection,
    searches: new LdapSearchSessions(connection),
    accounts: { base: config.baseContext, filter: config.searchFilter },
    structuralClass: config.objectClasses[config.objectClasses.length - 1] ?? 'top',
    associations,
    entitlements,
  };
}

/** The connector's operations on `ctx`, reading changes from the OpenLDAP accesslog. */
export function assembleLdapConnector(ctx: LdapContext): Connector & { toString(): string; toJSON(): object } {
  const { config, connection } = ctx;
  const connector: Connector & { toString(): string; toJSON(): object } = {
    testConnection: () => testLdapConnection(ctx),
    schema: () => readSchema(ctx),
    attributesOf: (objectClasses) => attributesOf(ctx, objectClasses),
    get: (identifiers, attributesToGet) => getAccount(ctx, identifiers, attributesToGet),
    getMany: (primaryIdentifiers, attributesToGet) => getAccounts(ctx, primaryIdentifiers, attributesToGet),
    nameTaken: (dn) => nameTaken(ctx, dn),
    search: (options) => searchAccounts(ctx, options),
    create: (dn, attributes) => createEntry(ctx, dn, attributes),
    modify: (primaryIdentifier, deltas) => modifyEntry(ctx, primaryIdentifier, deltas),
    delete: (primaryIdentifier) => deleteEntry(ctx, primaryIdentifier),
    latestToken: () => latestToken(ctx),
    changesSince: (token, limit) => changesSince(ctx, token, limit),
    async close() {
      ctx.searches.closeAll();
      await connection.close();
    },
    toString: () => `LdapConnector(${config.url}, ${config.bindDn})`,
    toJSON: () => ({ type: 'ldap', url: config.url, bindDn: config.bindDn, baseContext: config.baseContext }),
  };
  return connector;
}
