/** Maps ldapts and socket errors to ConnectorError kinds. */
import { ResultCodeError } from 'ldapts';
import { ConnectorError, isConnectorError, type ConnectorErrorKind } from '../connector-errors';
import { asNativeError } from '../native-errors';
import { redact } from '../secrets';

const resultCodeKinds: Record<number, ConnectorErrorKind> = {
  3: 'communication', // timeLimitExceeded
  51: 'communication', // busy
  52: 'communication', // unavailable
  68: 'already-exists',
  32: 'not-found', // noSuchObject
  7: 'configuration', // authMethodNotSupported
  8: 'configuration', // strongerAuthRequired
  13: 'configuration', // confidentialityRequired
  48: 'configuration', // inappropriateAuthentication
  49: 'configuration', // invalidCredentials
  50: 'configuration', // insufficientAccessRights
  12: 'configuration', // unavailableCriticalExtension
  16: 'schema-violation', // noSuchAttribute
  17: 'schema-violation', // undefinedAttributeType
  18: 'schema-violation', // inappropriateMatching
  19: 'schema-violation', // constraintViolation
  20: 'schema-violation', // attributeOrValueExists
  21: 'schema-violation', // invalidAttributeSyntax
  34: 'schema-violation', // invalidDNSyntax
  53: 'schema-violation', // unwillingToPerform
  64: 'schema-violation', // namingViolation
  65: 'schema-violation', // objectClassViolation
  66: 'schema-violation', // notAllowedOnNonLeaf
  67: 'schema-violation', // notAllowedOnRDN
  69: 'schema-violation', // objectClassModsProhibited
};

const socketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

const socketMessages =
  /Connection timeout|Socket error|Connection closed|Operation timed out|Socket connection not established|connect ECONNREFUSED|socket hang up/i;

export function isLdapCommunicationError(e: unknown): boolean {
  if (isConnectorError(e)) return e.kind === 'communication';
  if (e instanceof ResultCodeError) return resultCodeKinds[e.code] === 'communication';
  const { code, message } = asNativeError(e);
  return (typeof code === 'string' && socketCodes.has(code)) || socketMessages.test(message);
}

/**
 * @param context what was being done, e.g. `create uid=jack,ou=people,dc=example,dc=com`
 * @param secrets values that must not appear in the message (the bind password)
 */
export function mapLdapError(e: unknown, context: string, secrets: readonly (string | undefined)[] = []): ConnectorError {
  if (isConnectorError(e)) return e;
  if (e instanceof ResultCodeError) {
    const kind = resultCodeKinds[e.code] ?? 'schema-violation';
    const detail = e.message && e.message !== e.constructor.name ? `: ${e.message}` : '';
    return new ConnectorError(kind, redact(`${context}: LDAP result ${e.code} (${e.constructor.name})${detail}`, secrets), e.code);
  }
  const err = asNativeError(e);
  const code = typeof err.code === 'string' || typeof err.code === 'number' ? err.code : undefined;
  if (isLdapCommunicationError(err)) {
    return new ConnectorError('communication', redact(`${context}: LDAP server unreachable: ${firstLine(err.message)}`, secrets), code);
  }
  // Filter syntax, bad URL and similar client-side refusals: the configuration is wrong.
  return new ConnectorError('configuration', redact(`${context}: ${firstLine(err.message)}`, secrets), code);
}

function firstLine(s: string): string {
  return s.split('\n')[0];
}
