/** The identifiers `get` is given: the primary, the secondary, or both. */
import { ConnectorError } from './connector-errors';

export interface ObjectIdentifiers {
  primaryIdentifier?: string;
  secondaryIdentifier?: string;
}

/** A get with neither identifier is the caller's mistake: a configuration error, before any call to the resource. */
export function requireIdentifier(identifiers: ObjectIdentifiers): void {
  if (identifiers.primaryIdentifier === undefined && identifiers.secondaryIdentifier === undefined) {
    throw new ConnectorError('configuration', 'get needs a primary or a secondary identifier');
  }
}
