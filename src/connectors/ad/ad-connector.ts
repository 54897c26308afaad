/**
 * The Active Directory connector: the LDAP connector's reading and writing on AD's connection (see
 * ad-client for what differs), with changes read from AD's own change tracking.
 */
import type { AdConnectorConfig, ObjectTypeDefinition } from '../../schema/config';
import type { Connector } from '../connector-types';
import type { SecretResolver } from '../ldap/ldap-connection';
import { assembleLdapConnector, ldapContext } from '../ldap/ldap-connector';
import { ldapObjectTypes } from '../ldap/ldap-object-types';
import { attributesOf, readSchema } from '../ldap/ldap-reading';
import { resolveSecret } from '../secrets';
import { changesSince, latestToken } from './ad-change-reading';
import { adConnection, asLdapConfig } from './ad-connection';
import { withSystemAuxiliaryClasses } from './ad-schema';
import { ENABLE_ATTRIBUTE } from './ad-values';

export function createAdConnector(config: AdConnectorConfig, objectTypes?: readonly ObjectTypeDefinition[], resolve: SecretResolver = resolveSecret): Connector {
  const scoped = ldapObjectTypes(asLdapConfig(config), objectTypes);
  const ctx = ldapContext(scoped.config, adConnection(config, resolve), scoped.associations, scoped.entitlements);
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
    changesSince: (token, limit) => changesSince(ctx, token, limit),
    toString: () => `AdConnector(${config.url}, ${config.bindDn})`,
    toJSON: () => ({ type: 'ad', url: config.url, bindDn: config.bindDn, baseContext: config.baseContext }),
  };
  return connector;
}
