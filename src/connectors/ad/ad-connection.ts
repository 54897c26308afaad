/**
 * Active Directory's connection: the LDAP connector's connection with AD's client (ad-client), encrypted
 * by LDAPS or StartTLS, the domain controller's certificate checked against the resource's CA file and name.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { AD_PRIMARY_IDENTIFIER, type AdConnectorConfig, type LdapConnectorConfig } from '../../schema/config';
import { ConnectorError } from '../connector-errors';
import { LdapConnection, type SecretResolver } from '../ldap/ldap-connection';
import { AdClient } from './ad-client';
import { mapAdError } from './ad-errors';
import type { AdOwnWrites } from './ad-own-writes';

/** The LDAP connector's configuration for the same directory: objectGUID the primary identifier. */
export function asLdapConfig(config: AdConnectorConfig): LdapConnectorConfig {
  const { url, bindDn, bindPassword, baseContext, objectClasses, searchFilter, pageSize, timeout } = config;
  return { type: 'ldap', url, bindDn, bindPassword, baseContext, primaryIdentifier: AD_PRIMARY_IDENTIFIER, objectClasses, searchFilter, pageSize, timeout };
}

function tlsOptions(config: AdConnectorConfig): ConnectionOptions {
  // StartTLS upgrades a socket already open: the name to check is not known from it.
  const host = config.startTls ? { host: new URL(config.url).hostname } : {};
  let ca: string | undefined;
  if (config.caFile !== undefined) {
    try {
      ca = readFileSync(config.caFile, 'utf8');
    } catch (e) {
      throw new ConnectorError('configuration', `cannot read the CA file ${config.caFile} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
  }
  return { ...host, ...(ca !== undefined ? { ca } : {}), ...(config.tlsServerName !== undefined ? { servername: config.tlsServerName } : {}) };
}

export function adConnection(config: AdConnectorConfig, resolve: SecretResolver, ownWrites?: AdOwnWrites): LdapConnection {
  // ldapts speaks TLS whenever it is given TLS options, even to an ldap:// URL.
  const overTls = config.url.toLowerCase().startsWith('ldaps://');
  if (overTls && config.startTls) throw new ConnectorError('configuration', `startTls is for an ldap:// URL; ${config.url} is encrypted already`);
  return new LdapConnection(
    asLdapConfig(config),
    resolve,
    (options) =>
      new AdClient(
        { ...options, ...(overTls ? { tlsOptions: tlsOptions(config) } : {}) },
        { allowPlainPasswords: config.allowPlainPasswords, ...(ownWrites ? { ownWrites } : {}), ...(config.startTls ? { startTls: tlsOptions(config) } : {}) },
      ),
    mapAdError,
  );
}
