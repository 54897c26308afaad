/**
 * Tracing with the standard OTEL_* variables: an OTLP/HTTP receiver in this test collects what Tally
 * exports. A change made through the HTTP API is one trace: the API request, the workflow it starts,
 * the workflow's activity, and the connector call the activity makes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { startTracing, stopTracing } from '../../../src/observability/tracing';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { applyAndProvision, eventually, listenApi, startTally, type TallyHarness } from '../../support/tally-harness';

const TOKEN = 'tracing-test-token';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

const spans: ReceivedSpan[] = [];
let receiver: Server;
let tally: TallyHarness;
let resources: ExampleResources;
let api: FastifyInstance;
let base: string;

/** The OTLP/HTTP JSON trace service: POST /v1/traces. */
async function startReceiver(): Promise<string> {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const sent = JSON.parse(body) as {
          resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: ReceivedSpan[] }> }>;
        };
        for (const r of sent.resourceSpans) {
          const service = r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
          for (const scope of r.scopeSpans) for (const s of scope.spans) spans.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, service });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = await startReceiver();
  process.env.OTEL_BSP_SCHEDULE_DELAY = '200';
  // Before the harness makes its Temporal client and worker: they take their interceptors from tracing.
  expect(startTracing('tally-tracing-test')).toBe(true);
  tally = await startTally('tracing');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  await applyAndProvision(tally.services, [resources.examples]);
  ({ api, url: base } = await listenApi(tally, TOKEN));
}, 180_000);

afterAll(async () => {
  await api?.close();
  await tally?.stop();
  await stopTracing();
  await resources?.close();
  receiver?.close();
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  delete process.env.OTEL_BSP_SCHEDULE_DELAY;
});

test("a user's change through the API is one trace: API request -> provisionUser workflow -> activity -> connector modify", async () => {
  const response = await fetch(`${base}/api/v1/users/jack`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ givenName: 'Jim' }),
  });
  expect(response.status).toBeLessThan(300);
  await eventually(
    async () => (await resources.ldap.search(resources.accountDn('jack'), { scope: 'base', attributes: ['givenName'] })).searchEntries[0]?.givenName,
    (givenName) => givenName === 'Jim',
    "jack's LDAP entry changed",
  );

  const request = await eventually(async () => spans.find((s) => s.name === 'PATCH /api/v1/users/:ref'), (s) => s !== undefined, 'the API span exported', 30_000);
  const modify = await eventually(
    async () => spans.find((s) => s.traceId === request!.traceId && s.name === 'connector modify'),
    (s) => s !== undefined,
    'the connector call exported in the same trace',
    30_000,
  );
  // The workflow's spans reach the exporter when its task completes, possibly after the activity's: the chain up from the call, once it reaches a root.
  const chainOf = () => {
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const chain: ReceivedSpan[] = [];
    for (let span: ReceivedSpan | undefined = modify; span; span = span.parentSpanId ? byId.get(span.parentSpanId) : undefined) chain.unshift(span);
    return chain;
  };
  const chain = (await eventually(async () => chainOf(), (c) => c[0]?.parentSpanId === undefined, 'the spans up to the request exported', 30_000)).map((s) => s.name);
  expect(chain).toEqual(['PATCH /api/v1/users/:ref', 'SignalWithStartWorkflow:provisionUser', 'RunWorkflow:provisionUser', 'StartActivity:provisionUser', 'RunActivity:provisionUser', 'connector modify']);
});
