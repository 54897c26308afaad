/** Builds the connector a resource's configuration asks for. */
import type { ConnectorConfig, ObjectTypeDefinition } from '../schema/config';
import type { Connector } from './connector-types';
import { createLdapConnector } from './ldap/ldap-fns';
import { ldapObjectTypes } from './ldap/ldap-object-types';
import { createPostgresConnector } from './postgres/postgres-fns';

/** `objectTypes`: the resource's schemaHandling object types (LDAP: account delineation, associations). */
export function createConnector(config: ConnectorConfig, objectTypes?: readonly ObjectTypeDefinition[]): Connector {
  switch (config.type) {
    case 'ldap': {
      const scoped = ldapObjectTypes(config, objectTypes);
      return createLdapConnector(scoped.config, undefined, scoped.associations, scoped.entitlements);
    }
    case 'postgres':
      return createPostgresConnector(config);
  }
}

export { ConnectorError, isConnectorError, connectorErrorKinds, type ConnectorErrorKind } from './connector-errors';
export type { Connector, ConnectorChange, ChangesPage, SearchPage } from './connector-types';
export { resolveSecret } from './secrets';
export { createLdapConnector, createPostgresConnector };
