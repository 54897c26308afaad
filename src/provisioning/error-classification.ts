/**
 * The one place where connector errors are given a meaning (the consistency mechanism's groups of known
 * problems). Code above provisioning asks these questions instead of looking at a connector's error.
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

const UNEXPECTED = 'unexpected';

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
  return { handling: 'fail', kind: UNEXPECTED, message: e instanceof Error ? e.message : String(e) };
}

/** The resource can't be reached now: what needs it waits for it (postponed, retried later). */
export function isResourceOutage(e: unknown): boolean {
  return classifyError(e).handling === 'postpone';
}

/** The resource says the object isn't there. */
export function isMissingObject(e: unknown): boolean {
  return classifyError(e).handling === 'discover-missing';
}

/** A connector named what went wrong (as opposed to a bug or an unexpected state). */
export function isResourceError(e: unknown): boolean {
  return classifyError(e).kind !== UNEXPECTED;
}

/** The error for a person: the connector's kind first when a connector named it. */
export function describeError(e: unknown): string {
  const { kind, message } = classifyError(e);
  return kind === UNEXPECTED ? message : `${kind}: ${message}`;
}
