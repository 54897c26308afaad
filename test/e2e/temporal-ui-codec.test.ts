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
import { LDAP_PASSWORD_ENV, startOutageStack, userYaml, type OutageStack } from '../integration/consistency/outage-stack';

const USER_PASSWORD_ENV = 'TALLY_UI_CODEC_USER_PASSWORD';
const USER_PASSWORD = 'Anne-s3cret-Passw0rd';

let temporal: TemporalDevServer;
let s: OutageStack;
let api: FastifyInstance;
let codecEndpoint: string;
let browser: Browser;
let waiting: { shadow: ShadowDoc; workflowId: string; runId: string };

beforeAll(async () => {
  const apiPort = await freePort();
  codecEndpoint = `http://127.0.0.1:${apiPort}/codec`;
  temporal = await startTemporalDevServer({ uiPort: await freePort(), uiCodecEndpoint: codecEndpoint, logFile: path.join(scratchDir('ui-temporal'), 'temporal.log') });
  s = await startOutageStack('ui-codec', undefined, { temporal });
  // The dev server's UI sends no token: the dev stack (TALLY_DEV=1) serves the codec without one.
  api = buildApi({ services: s.services, token: 'ui-codec-test-token', codec: { allowedOrigins: [temporal.uiUrl!], tokenRequired: false } });
  await api.listen({ host: '127.0.0.1', port: apiPort });
  browser = await chromium.launch({ executablePath: tools.chromium(), headless: true });

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
  await eventually(
    () => handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata'),
    (m) => /^waiting for /.test(m.currentDetails ?? ''),
    'the waiting current details',
  );
  waiting = { shadow, workflowId, runId: (await handle.describe()).runId };
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await s?.close();
  await temporal?.stop();
});

const historyPage = () => `${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows/${encodeURIComponent(waiting.workflowId)}/${waiting.runId}/history`;
const WAITING_DETAILS = /waiting for Outage LDAP \w+ to come back: add postponed \(attempt \d+/;

/** The text of the page and of its frames (the UI renders current details as markdown in a frame). */
async function pageText(page: Page): Promise<string> {
  const texts = await Promise.all(page.frames().map((f) => f.locator('body').innerText().catch(() => '')));
  return texts.join('\n');
}

async function textUntil(page: Page, accept: (text: string) => boolean, what: string): Promise<string> {
  return eventually(() => pageText(page), accept, what, 30_000);
}

/** The `temporal` CLI against this test's dev server; a failed command answers its output too. */
async function temporalCli(args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const r = await promisify(execFile)(tools.temporal(), [...args, '--address', temporal.address, '--namespace', temporal.namespace], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { ok: true, output: r.stdout + r.stderr };
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? failed.message}` };
  }
}

test('the workflow page shows the input and the current details as readable text, decoded through the codec endpoint', async () => {
  const page = await browser.newPage();
  const codecCalls: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(codecEndpoint)) codecCalls.push(`${r.method()} ${new URL(r.url()).pathname}`);
  });
  try {
    await page.goto(historyPage());
    const history = await textUntil(page, (t) => t.includes(`"shadowOid": "${waiting.shadow.oid}"`), 'the decoded input on the history page');
    expect(history).toContain(`"resourceOid": "${s.resourceOid}"`);
    expect(history).not.toContain('binary/encrypted');

    await page.getByText('User Metadata').first().click();
    const metadata = await textUntil(page, (t) => WAITING_DETAILS.test(t), 'the decoded current details');
    expect(metadata).toContain('create uid=anne,ou=people,dc=example,dc=com: LDAP server unreachable');
    expect(codecCalls.length).toBeGreaterThan(0);
    expect(new Set(codecCalls)).toEqual(new Set(['POST /codec/decode']));
  } finally {
    await page.close();
  }
});

test('with the codec endpoint out of reach the same pages show neither the input nor the current details', async () => {
  const page = await browser.newPage();
  const failedCodecCalls: string[] = [];
  await page.route(`${codecEndpoint}/**`, (route) => route.abort());
  page.on('requestfailed', (r) => {
    if (r.url().startsWith(codecEndpoint)) failedCodecCalls.push(r.url());
  });
  try {
    await page.goto(historyPage());
    const history = await textUntil(page, (t) => t.includes('Input') && t.includes('encryption-key-id'), 'the raw input on the history page');
    expect(history).not.toContain('"shadowOid"');

    const metadataAnswered = page.waitForResponse((r) => r.url().includes('__temporal_workflow_metadata'));
    const failedBefore = failedCodecCalls.length;
    await page.getByText('User Metadata').first().click();
    await metadataAnswered;
    await eventually(async () => failedCodecCalls.length, (n) => n > failedBefore, 'the UI trying to decode the current details');
    await page.waitForTimeout(1000);
    const metadata = await textUntil(page, (t) => t.includes('Current Details'), 'the current details panel');
    expect(metadata).not.toMatch(/waiting for/);
  } finally {
    await page.close();
  }
});

test('the temporal CLI reads the input and the current details with --codec-endpoint, and not without', async () => {
  const shown = await temporalCli(['workflow', 'show', '-w', waiting.workflowId, '--detailed', '--codec-endpoint', codecEndpoint]);
  expect(shown.ok).toBe(true);
  expect(shown.output).toContain(`input[0].shadowOid: ${waiting.shadow.oid}`);

  const metadata = await temporalCli(['workflow', 'metadata', '-w', waiting.workflowId, '--codec-endpoint', codecEndpoint]);
  expect(metadata.ok).toBe(true);
  expect(metadata.output).toMatch(/Current Details:\s+waiting for Outage LDAP/);

  // Without the codec the CLI can read neither: the symptom the endpoint removes.
  const raw = await temporalCli(['workflow', 'show', '-w', waiting.workflowId, '--detailed']);
  expect(raw.output).toContain('WorkflowExecutionStarted');
  expect(raw.output).not.toContain('shadowOid');
  const rawMetadata = await temporalCli(['workflow', 'metadata', '-w', waiting.workflowId]);
  expect(rawMetadata.ok).toBe(false);
  expect(rawMetadata.output).toContain('failed to unmarshal metadata');
});

test('decoded histories carry no secret: neither the resource password nor the user password', async () => {
  const user = await s.services.repo.users.byRef('anne');
  expect(user?.credentials?.password?.encrypted).toMatch(/^enc:v1:/);
  const ldapPassword = s.env[LDAP_PASSWORD_ENV];
  for (const workflowId of [waiting.workflowId, `user:${user!.oid}`]) {
    const shown = await temporalCli(['workflow', 'show', '-w', workflowId, '--codec-endpoint', codecEndpoint, '--output', 'json']);
    expect(shown.ok).toBe(true);
    // Every payload's data, decoded from its proto-JSON base64, next to the rest of the history.
    const payloadData = [...shown.output.matchAll(/"data":\s*"([A-Za-z0-9+/=]*)"/g)].map((m) => Buffer.from(m[1], 'base64').toString('utf8'));
    const decoded = [shown.output, ...payloadData].join('\n');
    expect(decoded).toContain(workflowId === waiting.workflowId ? `"shadowOid":"${waiting.shadow.oid}"` : `"userOid":"${user!.oid}"`);
    expect(decoded).not.toContain('binary/encrypted');
    expect(decoded).not.toContain(ldapPassword);
    expect(decoded).not.toContain(USER_PASSWORD);
  }
});
