/**
 * The Temporal codec-server protocol on Tally's HTTP API: `POST /codec/decode` and `POST /codec/encode`
 * take and answer `{ payloads: [{ metadata: { key: <base64> }, data: <base64> }] }` (proto-JSON Payloads)
 * and run them through the payload codec the worker and client use. The Temporal UI
 * (`--ui-codec-endpoint`, or its Data Encoder setting) and the `temporal` CLI (`--codec-endpoint`) call
 * it to show histories, inputs, results and current details readably. The UI calls it from the browser,
 * so it answers CORS requests from the configured UI origins.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import { DecryptionError } from '../security/aes-gcm';
import { apiRoute, type ApiRoute } from './route-definitions';

export const CODEC_PATHS = ['/codec/decode', '/codec/encode'] as const;

/** The dev server's UI, under both names a browser may use for it. */
export const DEFAULT_CODEC_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'] as const;

export interface CodecEndpointOptions {
  /** Browser origins (scheme://host:port) whose pages may call the endpoint: the Temporal UI's. */
  allowedOrigins: readonly string[];
  /** Outside dev the bearer token is required here as on the rest of the API. */
  tokenRequired: boolean;
}

/** `TALLY_CODEC_ORIGINS` (comma-separated) or the dev UI's origins; the token is waived only with TALLY_DEV=1. */
export function codecSettings(env: Record<string, string | undefined>): CodecEndpointOptions {
  const listed = (env.TALLY_CODEC_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter((o) => o.length > 0);
  return { allowedOrigins: listed.length > 0 ? listed : [...DEFAULT_CODEC_ORIGINS], tokenRequired: env.TALLY_DEV !== '1' };
}

/** The URL the UI and the CLI are given (they add `/decode`, `/encode`): on the API's address, a wildcard host made reachable. */
export function codecEndpointUrl(settings: { TALLY_API_HOST: string; TALLY_API_PORT: number }): string {
  const host = ['0.0.0.0', '::', ''].includes(settings.TALLY_API_HOST) ? '127.0.0.1' : settings.TALLY_API_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${settings.TALLY_API_PORT}/codec`;
}

// Proto-JSON bytes: standard or URL-safe base64, padding optional.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
const payloadJsonSchema = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
// Proto-JSON leaves an empty list out: the CLI sends `{}` for a query without arguments.
export const codecRequestSchema = z.object({ payloads: z.array(payloadJsonSchema).default([]) });
type PayloadJson = z.infer<typeof payloadJsonSchema>;

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const base64Of = (b: Uint8Array | null | undefined): string => Buffer.from(b ?? new Uint8Array()).toString('base64');

export function payloadFromJson(json: PayloadJson): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, bytes(v)])),
    data: bytes(json.data ?? ''),
  };
}

export function payloadToJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, base64Of(v)])),
    data: base64Of(payload.data),
  };
}

const path = (request: FastifyRequest) => request.url.split('?')[0];
const isCodecPath = (url: string) => (CODEC_PATHS as readonly string[]).includes(url);

/** Requests the API's bearer-token check lets through: preflights, and every codec call in dev. */
export function codecBypassesToken(request: FastifyRequest, options: Pick<CodecEndpointOptions, 'tokenRequired'>): boolean {
  return isCodecPath(path(request)) && (request.method === 'OPTIONS' || !options.tokenRequired);
}

/** A payload of a history can be up to 2 MB, 4/3 of that in base64; the UI sends several at once. */
const CODEC_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * Registers CORS handling (the routes are `codecRoutes`). Call it before the API's token check is added, so a
 * 401 still carries the CORS headers the browser needs to show it, and a preflight is answered first.
 */
export function registerCodecCors(app: FastifyInstance, options: CodecEndpointOptions): void {
  const allowed = new Set(options.allowedOrigins);
  app.addHook('onRequest', async (request, reply) => {
    if (!isCodecPath(path(request))) return;
    const origin = request.headers.origin;
    if (origin !== undefined && allowed.has(origin)) {
      void reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-credentials', 'true')
        .header('vary', 'Origin');
    }
    if (request.method !== 'OPTIONS') return;
    if (origin === undefined || !allowed.has(origin)) {
      return reply.code(403).send({
        error: 'origin not allowed',
        message: `the codec endpoint answers pages from ${[...allowed].join(', ')}; add ${origin ?? 'the UI origin'} to TALLY_CODEC_ORIGINS`,
      });
    }
    return reply
      .code(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'Authorization, Content-Type, X-Namespace')
      .header('access-control-max-age', '600')
      .send();
  });
  // Fastify answers an OPTIONS request only for a route that declares it; the hook above does the work.
  for (const url of CODEC_PATHS) app.options(url, async (_request, reply) => reply.code(204).send());
}

function codecRoute(direction: 'decode' | 'encode', summary: string): ApiRoute {
  return apiRoute<z.output<typeof codecRequestSchema>>({
    method: 'POST',
    url: `/codec/${direction}`,
    summary,
    headers: { 'X-Namespace': 'the Temporal namespace (any: one key serves all)' },
    body: { schema: codecRequestSchema, invalid: 'invalid codec request' },
    responses: {
      '200': { description: '{ payloads }, in the same proto-JSON form' },
      '400': { description: 'invalid body: { error, message, problems: [{ field, message }] }' },
      '401': { description: 'no or wrong token (outside dev)' },
      '422': { description: 'a payload that this TALLY_SECRET_KEY cannot decrypt' },
    },
    bodyLimit: CODEC_BODY_LIMIT,
    handle: async ({ codec }, { body }, reply) => {
      const payloads = body.payloads.map(payloadFromJson);
      try {
        const converted = direction === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
        return { payloads: converted.map(payloadToJson) };
      } catch (e) {
        if (!(e instanceof DecryptionError)) throw e;
        return reply.code(422).send({ error: 'payload not decoded', message: e.message });
      }
    },
  });
}

/** The codec server's routes (`CODEC_PATHS`). */
export const codecRoutes = [
  codecRoute('decode', 'Temporal codec server: decrypt proto-JSON payloads (for the Temporal UI and `temporal --codec-endpoint`)'),
  codecRoute('encode', 'Temporal codec server: encrypt proto-JSON payloads (inputs typed in the Temporal UI or CLI)'),
];
