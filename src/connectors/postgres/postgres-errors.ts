/** Maps node-postgres and socket errors to ConnectorError kinds by SQLSTATE. */
import { ConnectorError, isConnectorError, type ConnectorErrorKind } from '../connector-errors';
import { asNativeError } from '../native-errors';
import { redact } from '../secrets';

const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const socketMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|server closed the connection/i;

function sqlStateKind(code: string): ConnectorErrorKind | undefined {
  if (code === '23505') return 'already-exists';
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300' || code === '57014' || code.startsWith('40')) {
    // 40xxx: serialization failure or deadlock, worth retrying like an outage
    return 'communication';
  }
  if (code.startsWith('28') || code === '3D000' || code === '42P01' || code === '42703' || code === '42501' || code === '3F000') {
    return 'configuration';
  }
  if (code.startsWith('22') || code.startsWith('23')) return 'schema-violation';
  return undefined;
}

function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

export function isPgCommunicationError(e: unknown): boolean {
  if (isConnectorError(e)) return e.kind === 'communication';
  const { code, message } = asNativeError(e);
  if (isSqlState(code)) return sqlStateKind(code) === 'communication';
  return (typeof code === 'string' && socketCodes.has(code)) || socketMessages.test(message);
}

/**
 * @param context what was being done, e.g. `create jack in public.accounts`
 * @param secrets values that must not appear in the message (the password)
 */
export function mapPgError(e: unknown, context: string, secrets: readonly (string | undefined)[] = []): ConnectorError {
  if (isConnectorError(e)) return e;
  const err = asNativeError(e);
  const code = err.code;
  const say = (kind: ConnectorErrorKind, text: string) =>
    new ConnectorError(kind, redact(`${context}: ${text}`, secrets), typeof code === 'string' ? code : undefined);
  if (isSqlState(code)) {
    const detail = (err as { detail?: string }).detail;
    const text = `${err.message} (SQLSTATE ${code})${detail ? `: ${detail}` : ''}`;
    return say(sqlStateKind(code) ?? (code.startsWith('42') ? 'configuration' : 'schema-violation'), text);
  }
  if (isPgCommunicationError(err)) return say('communication', `PostgreSQL unreachable: ${err.message}`);
  return say('configuration', err.message);
}

/** A key that cannot be converted to the key column's type (22P02, 22003) names no row: not-found, not a schema violation. */
export function notFoundOnBadKey(e: unknown, what: string, tableName: string): never {
  const code = (e as { code?: unknown }).code;
  if (code === '22P02' || code === '22003') throw new ConnectorError('not-found', `no row ${what} in ${tableName}`);
  throw e;
}
