/**
 * The Active Directory connector: the LDAP connector's reading and writing on AD's connection (see
 * ad-client for what differs), with changes read from AD's own change tracking. With a `scope` other
 * than the accounts, it works on that type's objects (a role's own group), as the LDAP connector does.
 */
import type { AdConnectorConfig, ObjectTypeDefinition } from '../../schema/config';
import type { Connector } from '../connector-types';
import type { SecretResolver } from '../ldap/ldap-connection';
import { assembleLdapConnector, ldapContext } from '../ldap/ldap-connector';
import { creatingWithPlaceholder, ldapEntitlementScope } from '../ldap/ldap-entitlement-type';
import { ldapObjectTypes } from '../ldap/ldap-object-types';
import { attributesOf, readSchema } from '../ldap/ldap-reading';
import { resolveSecret } from '../secrets';
import { changesSince, latestToken } from './ad-change-reading';
import { adConnection, asLdapConfig } from './ad-connection';
import { AdOwnWrites } from './ad-own-writes';
import { withSystemAuxiliaryClasses } from './ad-schema';
import { ENABLE_ATTRIBUTE } from './ad-values';

export function createAdConnector(
  config: AdConnectorConfig,
  objectTypes?: readonly ObjectTypeDefinition[],
  scope?: ObjectTypeDefinition,
  resolve: SecretResolver = resolveSecret,
): Connector {
  if (scope && scope.kind !== 'account') {
    const entitlements = ldapEntitlementScope(asLdapConfig(config), objectTypes ?? [], scope);
    const { baseContext, searchFilter, objectClasses } = entitlements.config;
    // Live sync reads the accounts' changes only: the groups' writes need not be remembered.
    const groups = createAdConnector({ ...config, baseContext, searchFilter, objectClasses, ignoreOwnWrites: false });
    return creatingWithPlaceholder(groups, entitlements.placeholder);
  }
  const scoped = ldapObjectTypes(asLdapConfig(config), objectTypes);
  const ownWrites = config.ignoreOwnWrites ? new AdOwnWrites() : undefined;
  const ctx = ldapContext(scoped.config, adConnection(config, resolve, ownWrites), scoped.associations, scoped.entitlements);
  const connector: Connector & { toString(): string; toJSON(): object } = {
    ...assembleLdapConnector(ctx),
    schema: async () => {
      const schema = await readSchema({ ...ctx, config: { ...ctx.config, objectClasses: withSystemAuxiliaryClasses(ctx.config.objectClasses) } });
      return { ...schema, attributes: [...schema.attributes, ENABLE_ATTRIBUTE] };
    },
    attributesOf: async (objectClasses) => {
      const allowed = await attributesOf(ctx, withSystemAuxiliaryClasses(objectClasses));
      return { ...allowed, attributes: [...allowed.attributes, ENABLE_ATTRIBUTE] };
    },
    latestToken: () => latestToken(ctx),
    changesSince: (token, limit) => changesSince(ctx, ownWrites, token, limit),
    toString: () => `AdConnector(${config.url}, ${config.bindDn})`,
    toJSON: () => ({ type: 'ad', url: config.url, bindDn: config.bindDn, baseContext: config.baseContext }),
  };
  return connector;
}
