/** Builds the connector a resource's configuration asks for. */
import type { ConnectorConfig } from '../schema/config';
import type { Connector } from './connector-types';
import { createLdapConnector } from './ldap/ldap-fns';
import { createPostgresConnector } from './postgres/postgres-fns';

export function createConnector(config: ConnectorConfig): Connector {
  switch (config.type) {
    case 'ldap':
      return createLdapConnector(config);
    case 'postgres':
      return createPostgresConnector(config);
  }
}

export { ConnectorError, isConnectorError, connectorErrorKinds, type ConnectorErrorKind } from './connector-errors';
export type { Connector, ConnectorChange, ChangesPage, SearchPage } from './connector-types';
export { resolveSecret } from './secrets';
export { createLdapConnector, createPostgresConnector };
