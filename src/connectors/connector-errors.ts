/**
 * The error classes every connector maps its native errors to. Provisioning decides what each means
 * for an operation (postpone, discovery, fail); connectors only name what happened.
 */
export const connectorErrorKinds = [
  'communication', // resource unreachable, timeout: retry later
  'already-exists',
  'not-found',
  'schema-violation', // the resource refused the data: fail, do not retry
  'configuration', // wrong credentials, unknown table, unsupported operation: fail fast
] as const;
export type ConnectorErrorKind = (typeof connectorErrorKinds)[number];

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly kind: ConnectorErrorKind,
    message: string,
    /** Resource-native code (LDAP result code, SQLSTATE) when there is one. */
    readonly nativeCode?: string | number,
  ) {
    super(message);
  }
}

export function isConnectorError(e: unknown): e is ConnectorError {
  return e instanceof Error && e.name === 'ConnectorError' && 'kind' in e;
}
