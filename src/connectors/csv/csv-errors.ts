/** Maps file system and CSV parser errors to ConnectorError kinds. */
import { ConnectorError, isConnectorError } from '../connector-errors';
import { asNativeError } from '../native-errors';

/** The file or its folder can't be reached now (a share not mounted, a feed being replaced): worth retrying. */
const unreachableCodes = new Set(['ENOENT', 'EIO', 'ESTALE', 'EAGAIN', 'EBUSY', 'ETIMEDOUT', 'ENOTCONN', 'EHOSTDOWN', 'ECONNRESET']);

/** A malformed file, named by file and line: what the parser says, without the field's value (it may be a password). */
export function malformed(file: string, line: number, problem: string, code?: string): ConnectorError {
  return new ConnectorError('configuration', `${file}:${line}: ${problem.replace(/,? value is .*$/s, '')}`, code);
}

/** Turns a CSV parser's error into `malformed`, its line counted from `firstLine`; any other error as it is. */
export function parseError(e: unknown, file: string, firstLine: number): unknown {
  const { code, message } = asNativeError(e);
  if (typeof code !== 'string' || !code.startsWith('CSV_')) return e;
  const lines = (e as { lines?: unknown }).lines;
  return malformed(file, typeof lines === 'number' ? firstLine - 1 + lines : firstLine, message, code);
}

/** @param context what was being done, e.g. `create jack in /data/hr.csv` */
export function mapCsvError(e: unknown, context: string, file: string): ConnectorError {
  if (isConnectorError(e)) return new ConnectorError(e.kind, `${context}: ${e.message}`, e.nativeCode);
  const err = asNativeError(e);
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && unreachableCodes.has(code)) return new ConnectorError('communication', `${context}: ${file} cannot be reached (${code})`, code);
  return new ConnectorError('configuration', `${context}: ${err.message}`, code);
}
