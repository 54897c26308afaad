/** A paged search's cursor: the position a connector needs to continue, as an opaque string a caller hands back. */
import { ConnectorError } from './connector-errors';

export function encodeCursor(position: object): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position in `cursor`; a cursor that isn't one of this connector's is a configuration error. */
export function decodeCursor<T>(cursor: string, isPosition: (decoded: unknown) => decoded is T): T {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isPosition(decoded)) return decoded;
  } catch {
    // fall through
  }
  throw new ConnectorError('configuration', 'invalid search cursor');
}
