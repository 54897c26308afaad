/**
 * A SCIM service's answers to ConnectorError kinds: the HTTP status and the error's `scimType`, with the
 * service's `detail` kept in the message (a service never echoes the bearer token, and the message is
 * redacted of it all the same).
 */
import { ConnectorError, isConnectorError } from '../connector-errors';
import { asNativeError } from '../native-errors';
import { redact } from '../secrets';

export interface ScimErrorAnswer {
  status: number;
  body: unknown;
  /** The Retry-After header of a 429 or 503. */
  retryAfter?: string | null;
}

function errorOf(body: unknown): { scimType?: string; detail?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const { scimType, detail } = body as { scimType?: unknown; detail?: unknown };
  return { ...(typeof scimType === 'string' ? { scimType } : {}), ...(typeof detail === 'string' ? { detail } : {}) };
}

/** 400s the service answers for a request Tally built from its configuration, not for the object's content. */
const configurationScimTypes = new Set(['invalidFilter', 'tooMany', 'invalidVers', 'sensitive', 'invalidCursor', 'expiredCursor', 'invalidCount']);

/** @param context what was being done, e.g. `create jack on https://app.example.com/scim/v2` */
export function mapScimAnswer(answer: ScimErrorAnswer, context: string, token: string | undefined): ConnectorError {
  const { status } = answer;
  const { scimType, detail } = errorOf(answer.body);
  const said = `${status}${scimType ? ` ${scimType}` : ''}${detail ? `: ${detail}` : ''}`;
  const error = (kind: ConstructorParameters<typeof ConnectorError>[0], message: string) =>
    new ConnectorError(kind, redact(`${context}: ${message}`, [token]), status);
  if (status === 401 || status === 403) return error('configuration', `the service refused Tally's bearer token (${said})`);
  if (status === 404) return error('not-found', `not found (${said})`);
  if (status === 409) return error('already-exists', `already exists (${said})`);
  if (status === 412) return error('communication', `the object changed on the service since Tally read it (${said})`);
  if (status === 429 || status === 503) {
    return error('communication', `the service asks to come back later${answer.retryAfter ? ` (Retry-After: ${answer.retryAfter})` : ''} (${said})`);
  }
  if (status === 400 && !configurationScimTypes.has(scimType ?? '')) return error('schema-violation', `the service refused the object (${said})`);
  if (status >= 500 && status !== 501) return error('communication', `the service failed (${said})`);
  return error('configuration', `the service refused the request (${said})`);
}

/** A request that got no answer: refused, reset, timed out. */
export function mapScimFailure(e: unknown, context: string, token: string | undefined): ConnectorError {
  if (isConnectorError(e)) return new ConnectorError(e.kind, redact(`${context}: ${e.message}`, [token]), e.nativeCode);
  const err = asNativeError(e);
  const cause = asNativeError((e as { cause?: unknown }).cause ?? {});
  const code = typeof cause.code === 'string' ? cause.code : typeof err.code === 'string' ? err.code : undefined;
  const name = (e as { name?: unknown }).name;
  const why = name === 'TimeoutError' || name === 'AbortError' ? 'no answer in time' : `${cause.message || err.message}`;
  return new ConnectorError('communication', redact(`${context}: the service cannot be reached (${why})`, [token]), code);
}
