/**
 * The one place where connector errors are given a meaning for an operation (the consistency mechanism's
 * groups of known problems).
 */
import { isConnectorError } from '../connectors/connector-errors';

export type ErrorHandling =
  /** The resource is unreachable: keep the operation and retry later. */
  | 'postpone'
  /** The object already exists: discovery decides whose it is. */
  | 'discover-existing'
  /** The object is gone: discovery decides whether to re-create it or drop the shadow. */
  | 'discover-missing'
  /** The resource refused the data: fail this operation, retrying would not help. */
  | 'fail'
  /** Tally or the resource is misconfigured: fail fast and say so. */
  | 'fail-fast';

export interface ClassifiedError {
  handling: ErrorHandling;
  kind: string;
  message: string;
}

export function classifyError(e: unknown): ClassifiedError {
  if (isConnectorError(e)) {
    const handling: Record<typeof e.kind, ErrorHandling> = {
      communication: 'postpone',
      'already-exists': 'discover-existing',
      'not-found': 'discover-missing',
      'schema-violation': 'fail',
      configuration: 'fail-fast',
    };
    return { handling: handling[e.kind], kind: e.kind, message: e.message };
  }
  // An error no connector named is a bug or an unexpected state: fail rather than retry forever.
  return { handling: 'fail', kind: 'unexpected', message: e instanceof Error ? e.message : String(e) };
}
