/** Builds the connector a resource's configuration asks for. */
import type { ConnectorConfig, ObjectTypeDefinition } from '../schema/config';
import type { Connector } from './connector-types';
import { ConnectorError } from './connector-errors';
import { createLdapConnector } from './ldap/ldap-connector';
import { ldapObjectTypes } from './ldap/ldap-object-types';
import { creatingWithPlaceholder, ldapEntitlementScope } from './ldap/ldap-entitlement-type';
import { createPostgresConnector } from './postgres/postgres-connector';
import { createAdConnector } from './ad/ad-connector';
import { createCsvConnector } from './csv/csv-connector';
import { createScimServiceConnector } from './scim-service/scim-service-connector';
import type { PushedObjects } from './scim-service/scim-service-types';
import { createScimConnector } from './scim/scim-connector';

/**
 * `objectTypes`: the resource's schemaHandling object types (LDAP: account delineation, associations).
 * `scope`: an object type other than the accounts whose objects this connector works on (LDAP: a role's
 * own groups, under the entitlement type's delineation). `pushed`: for a SCIM service resource, the objects
 * services pushed to it (kept in the repository, which connectors don't reach themselves).
 */
export function createConnector(config: ConnectorConfig, objectTypes?: readonly ObjectTypeDefinition[], scope?: ObjectTypeDefinition, pushed?: PushedObjects): Connector {
  switch (config.type) {
    case 'ldap': {
      if (scope && scope.kind !== 'account') {
        const entitlements = ldapEntitlementScope(config, objectTypes ?? [], scope);
        return creatingWithPlaceholder(createLdapConnector(entitlements.config), entitlements.placeholder);
      }
      const scoped = ldapObjectTypes(config, objectTypes);
      return createLdapConnector(scoped.config, undefined, scoped.associations, scoped.entitlements);
    }
    case 'postgres':
      return createPostgresConnector(config);
    case 'ad':
      return createAdConnector(config, objectTypes, scope);
    case 'csv':
      return createCsvConnector(config);
    case 'scim-service':
      return createScimServiceConnector(config, pushed);
    case 'scim':
      if (scope && scope.kind !== 'account') throw new ConnectorError('configuration', `the scim connector provisions Users; groups of their own (${scope.kind}/${scope.intent}) need an LDAP resource`);
      return createScimConnector(config, objectTypes);
  }
}

export { ConnectorError, isConnectorError, connectorErrorKinds, type ConnectorErrorKind } from './connector-errors';
export type { Connector, ConnectorChange, ChangesPage, SearchPage } from './connector-types';
export { resolveSecret } from './secrets';
export type { PushedObjects } from './scim-service/scim-service-types';
export { createLdapConnector, createPostgresConnector, createAdConnector, createCsvConnector, createScimConnector };
