/**
 * The codec endpoint of the HTTP API (`/codec/decode`, `/codec/encode`, the Temporal codec-server
 * protocol) on a real Tally: a payload the worker's client encrypted decodes to its JSON, encode and
 * decode round-trip, CORS answers the UI's origin only, the bearer token is required outside dev (and
 * not in dev, whose UI sends none), and a bad body is a 400 naming the field.
 */
import type { FastifyInstance } from 'fastify';
import { defaultPayloadConverter } from '@temporalio/common';
import { buildApi } from '../../../src/api/server';
import { codecEndpointUrl, codecSettings, payloadToJson } from '../../../src/api/codec-endpoint';
import { createPayloadCodec } from '../../../src/security/payload-codec';
import { deriveSecretKey } from '../../../src/security/secret-key';
import { startTally, type TallyHarness } from '../../support/tally-harness';
import { listenLocally } from '../../support/listen';

const TOKEN = 'codec-api-test-token';
const UI = 'http://127.0.0.1:8233';
let tally: TallyHarness;
const apis: FastifyInstance[] = [];
let production: string;
let dev: string;

async function listen(tokenRequired: boolean): Promise<string> {
  const api = buildApi({ services: tally.services, token: TOKEN, codec: { allowedOrigins: [UI, 'http://localhost:8233'], tokenRequired } });
  apis.push(api);
  return listenLocally(api);
}

beforeAll(async () => {
  tally = await startTally('codec-api');
  production = await listen(true);
  dev = await listen(false);
}, 120_000);

afterAll(async () => {
  for (const api of apis) await api.close();
  await tally?.stop();
});

type CodecBody = { payloads: Array<{ metadata: Record<string, string>; data: string }> };

async function post(base: string, direction: 'decode' | 'encode', body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const response = await fetch(`${base}/codec/${direction}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as CodecBody & { error?: string; message?: string; problems?: Array<{ field: string; message: string }> } };
}

/** A workflow input as the client sends it to Temporal: JSON, then encrypted with this Tally's key. */
async function encryptedInput(value: unknown) {
  const codec = createPayloadCodec(tally.services.key);
  const [payload] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
  return payloadToJson(payload);
}

const text = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

test('decode turns an encrypted payload into its JSON, with the json/plain encoding', async () => {
  const input = { shadowOid: 'a1b2c3', resourceOid: 'r-1' };
  const encrypted = await encryptedInput(input);
  expect(text(encrypted.metadata.encoding)).toBe('binary/encrypted');
  expect(text(encrypted.data)).not.toContain('a1b2c3');

  const decoded = await post(production, 'decode', { payloads: [encrypted] });
  expect(decoded.status).toBe(200);
  expect(decoded.body.payloads).toHaveLength(1);
  expect(text(decoded.body.payloads[0].metadata.encoding)).toBe('json/plain');
  expect(JSON.parse(text(decoded.body.payloads[0].data))).toEqual(input);
});

test('encode then decode gives the payloads back; encode seals them with this key', async () => {
  const plain = [defaultPayloadConverter.toPayload({ resource: 'OpenDJ LDAP directory' }), defaultPayloadConverter.toPayload('two')].map(payloadToJson);
  const encoded = await post(production, 'encode', { payloads: plain });
  expect(encoded.status).toBe(200);
  expect(encoded.body.payloads.map((p) => text(p.metadata.encoding))).toEqual(['binary/encrypted', 'binary/encrypted']);
  expect(encoded.body.payloads.map((p) => text(p.metadata['encryption-key-id']))).toEqual([tally.services.key.id, tally.services.key.id]);
  expect(text(encoded.body.payloads[0].data)).not.toContain('OpenDJ');

  const decoded = await post(production, 'decode', encoded.body);
  expect(decoded.body.payloads).toEqual(plain);
  // Payloads that are not encrypted pass through decode unchanged; an empty request is an empty answer.
  expect((await post(production, 'decode', { payloads: plain })).body.payloads).toEqual(plain);
  expect((await post(production, 'decode', {})).body).toEqual({ payloads: [] });
});

test('a payload sealed with another TALLY_SECRET_KEY is a 422 that says which key', async () => {
  const other = createPayloadCodec(deriveSecretKey('another-key'));
  const [sealed] = await other.encode([defaultPayloadConverter.toPayload({ x: 1 })]);
  const answer = await post(production, 'decode', { payloads: [payloadToJson(sealed)] });
  expect(answer.status).toBe(422);
  expect(answer.body.message).toMatch(/is TALLY_SECRET_KEY the same for every Tally process/);
});

test('a bad body is a 400 naming the field', async () => {
  for (const [body, field] of [
    [{ payloads: 'x' }, 'payloads'],
    [{ payloads: [{ metadata: { encoding: 'not base64!' }, data: '' }] }, 'payloads.0.metadata.encoding'],
    [{ payloads: [{}, { data: 42 }] }, 'payloads.1.data'],
    [[1, 2], '(body)'],
  ] as const) {
    const answer = await post(production, 'decode', body);
    expect({ body, status: answer.status, error: answer.body.error, fields: answer.body.problems?.map((p) => p.field) }).toEqual({ body, status: 400, error: 'invalid codec request', fields: [field] });
  }
});

describe('outside dev', () => {
  test.each([
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
  ])('%s gets 401, with the CORS headers the UI needs to show it', async (_what, headers) => {
    for (const direction of ['decode', 'encode'] as const) {
      const answer = await post(production, direction, { payloads: [] }, { origin: UI, ...headers });
      expect({ direction, status: answer.status, error: answer.body.error }).toEqual({ direction, status: 401, error: 'unauthorized' });
      expect(answer.headers.get('access-control-allow-origin')).toBe(UI);
    }
  });
});

test('in dev (TALLY_DEV=1) the codec needs no token, the rest of the API still does', async () => {
  const encrypted = await encryptedInput({ userOid: 'u-1' });
  const decoded = await post(dev, 'decode', { payloads: [encrypted] }, { origin: UI });
  expect(decoded.status).toBe(200);
  expect(JSON.parse(text(decoded.body.payloads[0].data))).toEqual({ userOid: 'u-1' });
  expect((await fetch(`${dev}/api/v1/shadows`)).status).toBe(401);
  expect(codecSettings({ TALLY_DEV: '1' }).tokenRequired).toBe(false);
  expect(codecSettings({}).tokenRequired).toBe(true);
});

describe('CORS', () => {
  const preflight = (base: string, origin: string, path = '/codec/decode') =>
    fetch(`${base}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });

  test("a preflight from the UI's origin is answered without a token, allowing POST, Authorization and X-Namespace", async () => {
    for (const [origin, path] of [
      [UI, '/codec/decode'],
      ['http://localhost:8233', '/codec/encode'],
    ]) {
      const answer = await preflight(production, origin, path);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.get('access-control-allow-methods')).toContain('POST');
      expect(answer.headers.get('access-control-allow-headers')?.toLowerCase().split(/,\s*/)).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-namespace']));
      expect(answer.headers.get('vary')).toContain('Origin');
    }
  });

  test('another origin is refused, and says which setting allows it', async () => {
    const answer = await preflight(production, 'http://evil.example');
    expect(answer.status).toBe(403);
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await answer.json()) as { message: string }).message).toMatch(/add http:\/\/evil\.example to TALLY_CODEC_ORIGINS/);
    const post = await fetch(`${production}/codec/decode`, { method: 'POST', headers: { origin: 'http://evil.example', authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('TALLY_CODEC_ORIGINS lists the origins; the default is the dev UI under both names', () => {
    expect(codecSettings({ TALLY_CODEC_ORIGINS: 'https://temporal.example.com/, http://127.0.0.1:9000' }).allowedOrigins).toEqual(['https://temporal.example.com', 'http://127.0.0.1:9000']);
    expect(codecSettings({}).allowedOrigins).toEqual(['http://127.0.0.1:8233', 'http://localhost:8233']);
  });

  test('the endpoint given to the UI and the CLI is the API address under /codec, a wildcard host made reachable', () => {
    expect(codecEndpointUrl({ TALLY_API_HOST: '127.0.0.1', TALLY_API_PORT: 8080 })).toBe('http://127.0.0.1:8080/codec');
    expect(codecEndpointUrl({ TALLY_API_HOST: '0.0.0.0', TALLY_API_PORT: 9090 })).toBe('http://127.0.0.1:9090/codec');
  });
});

test('the OpenAPI document describes both codec routes', async () => {
  const doc = (await (await fetch(`${production}/api/v1/openapi.json`)).json()) as { paths: Record<string, { post?: { responses: Record<string, unknown> } }> };
  for (const path of ['/codec/decode', '/codec/encode']) expect(Object.keys(doc.paths[path].post!.responses)).toEqual(['200', '400', '401', '415', '422', '500']);
});
