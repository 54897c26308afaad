/**
 * An operator reads a waiting operation in the Temporal UI: a dev server WITH its web UI, started with
 * `--ui-codec-endpoint` on Tally's API (as `make start` does), a provisionAccount waiting for an LDAP
 * resource that is down, and the workflow's page opened in a real headless chromium. Its input (the
 * shadow oid) and current details (what it waits for) are readable text; with the codec endpoint out of
 * reach they are not. The `temporal` CLI reads the same through `--codec-endpoint`, and nothing decoded
 * carries a secret.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildApi } from '../../src/api/server';
import { freePort, startTemporalDevServer, tools, type TemporalDevServer } from '../../src/dev/servers';
import type { ShadowDoc } from '../../src/schema/objects';
import { eventually } from '../support/tally-harness';
import { scratchDir } from '../support/stack';
import { startOutageStack, userYaml, type OutageStack } from '../integration/consistency/outage-stack';

const CHROMIUM = '/usr/lib/chromium/chromium';
const USER_PASSWORD_ENV = 'TALLY_UI_CODEC_USER_PASSWORD';
const USER_PASSWORD = 'Anne-s3cret-Passw0rd';

let temporal: TemporalDevServer;
let s: OutageStack;
let api: FastifyInstance;
let codecEndpoint: string;
let browser: Browser;
let waiting: { shadow: ShadowDoc; workflowId: string; runId: string; details: string };

beforeAll(async () => {
  const apiPort = await freePort();
  codecEndpoint = `http://127.0.0.1:${apiPort}/codec`;
  temporal = await startTemporalDevServer({ uiPort: await freePort(), uiCodecEndpoint: codecEndpoint, logFile: path.join(scratchDir('ui-temporal'), 'temporal.log') });
  s = await startOutageStack('ui-codec', undefined, { temporal });
  // The dev server's UI sends no token: the dev stack (TALLY_DEV=1) serves the codec without one.
  api = buildApi({ services: s.services, token: 'ui-codec-test-token', codec: { allowedOrigins: [temporal.uiUrl!], tokenRequired: false } });
  await api.listen({ host: '127.0.0.1', port: apiPort });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });

  process.env[USER_PASSWORD_ENV] = USER_PASSWORD;
  await s.slapd.stop();
  await s.applyAndProvision(`${userYaml(s.resourceOid, 'anne', 'Anne Bonny')}credentials:\n  password: { env: ${USER_PASSWORD_ENV} }\n`);
  const [shadow] = await eventually(
    () => s.shadowsOf('anne'),
    (list) => list.length === 1 && list[0].pendingOperations[0]?.result.status === 'postponed',
    "anne's postponed add",
  );
  const workflowId = `provision:${shadow.oid}`;
  const handle = s.services.client.workflow.getHandle(workflowId);
  const metadata = await eventually(
    () => handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata'),
    (m) => /^waiting for /.test(m.currentDetails ?? ''),
    'the waiting current details',
  );
  waiting = { shadow, workflowId, runId: (await handle.describe()).runId, details: metadata.currentDetails! };
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await s?.close();
  await temporal?.stop();
});

async function openWorkflowPage(page: Page): Promise<void> {
  await page.goto(`${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows/${encodeURIComponent(waiting.workflowId)}/${waiting.runId}/history`);
}

test('the workflow page shows the input and the current details as readable text, decoded through the codec endpoint', async () => {
  const page = await browser.newPage();
  const codecCalls: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(codecEndpoint)) codecCalls.push(`${r.method()} ${r.url()}`);
  });
  try {
    await openWorkflowPage(page);
    await page.waitForTimeout(3000);
    await page.getByText('User Metadata').first().click();
    await page.waitForTimeout(4000);
    const text = await page.locator('main').innerText().catch(() => page.locator('body').innerText());
    console.log(page.url(), text.slice(0, 3000), codecCalls.length);
    await page.screenshot({ path: '/tmp/ui-codec.png', fullPage: false });
  } finally {
    await page.close();
  }
});
