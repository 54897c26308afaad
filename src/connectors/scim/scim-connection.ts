/**
 * Requests to the SCIM service over Node's fetch: the base URL, the bearer token (resolved from its
 * reference at the first request, never logged or shown), a deadline on every request, and the
 * service's ServiceProviderConfig read once. This is the connector's context.
 */
import { durationToMs, type ScimConnectorConfig } from '../../schema/config';
import { ConnectorError } from '../connector-errors';
import { resolveSecret } from '../secrets';
import { mapScimAnswer, mapScimFailure } from './scim-errors';
import type { ScimAssociation, ScimResource } from './scim-types';

export interface ScimAnswer {
  status: number;
  body: ScimResource;
  etag?: string;
}

export interface ScimRequest {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** The version Tally last saw: the service refuses the write (412) if the object changed since. */
  ifMatch?: string;
}

export interface ScimContext {
  config: ScimConnectorConfig;
  baseUrl: string;
  /** Whether the enterprise extension's attributes are written and read. */
  enterprise: boolean;
  associations: readonly ScimAssociation[];
  request(method: string, path: string, what: string, request?: ScimRequest): Promise<ScimAnswer>;
  /** Whether the service takes PATCH: the configuration's `patch`, else its ServiceProviderConfig. */
  patchSupported(): Promise<boolean>;
  /** Whether the service pages by cursor (RFC 9865), as its ServiceProviderConfig says. */
  pagesByCursor(): Promise<boolean>;
}

export function scimContext(config: ScimConnectorConfig, associations: readonly ScimAssociation[]): ScimContext {
  const baseUrl = config.baseUrl.replace(/\/+$/, '');
  const timeoutMs = durationToMs(config.timeout);
  let token: string | undefined;
  let provider: Promise<ScimResource> | undefined;

  async function request(method: string, path: string, what: string, options: ScimRequest = {}): Promise<ScimAnswer> {
    const context = `${what} on ${baseUrl}`;
    try {
      token ??= resolveSecret(config.token);
      const url = new URL(`${baseUrl}${path}`);
      for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      const response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/scim+json, application/json',
          ...(options.body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
          ...(options.ifMatch ? { 'if-match': options.ifMatch } : {}),
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let body: unknown = {};
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = { detail: text.slice(0, 200) };
        }
      }
      if (!response.ok) throw mapScimAnswer({ status: response.status, body, retryAfter: response.headers.get('retry-after') }, context, token);
      const etag = response.headers.get('etag') ?? (body as ScimResource).meta?.version;
      return { status: response.status, body: body as ScimResource, ...(etag ? { etag } : {}) };
    } catch (e) {
      throw mapScimFailure(e, context, token);
    }
  }

  /** The service's ServiceProviderConfig, read once; a failed read is tried again at the next call. */
  function providerConfig(): Promise<ScimResource> {
    provider ??= request('GET', '/ServiceProviderConfig', 'read the service provider configuration').then((a) => a.body);
    provider.catch(() => (provider = undefined));
    return provider;
  }

  return {
    config,
    baseUrl,
    enterprise: config.enterpriseExtension,
    associations,
    request,
    patchSupported() {
      if (config.patch !== undefined) return Promise.resolve(config.patch);
      return providerConfig().then((c) => (c.patch as { supported?: unknown } | undefined)?.supported === true);
    },
    pagesByCursor: () => providerConfig().then((c) => (c.pagination as { cursor?: unknown } | undefined)?.cursor === true),
  };
}

/** Whether the service answers and takes the token: one user counted, none read. */
export async function testService(ctx: ScimContext): Promise<void> {
  const answer = await ctx.request('GET', '/Users', 'test the connection', { query: { count: 0 } });
  if (typeof (answer.body as { totalResults?: unknown }).totalResults !== 'number') {
    throw new ConnectorError('configuration', `test the connection on ${ctx.baseUrl}: /Users did not answer a SCIM ListResponse; is ${ctx.baseUrl} the service's SCIM root?`);
  }
}
