/**
 * What an operator watches, scraped by a real Prometheus (Debian's package): a `tally worker` process with
 * its metrics endpoints (Tally's and the Temporal SDK's) and the HTTP API's `/metrics`. A live-sync burst
 * shows in the changes counter and the lag gauge comes back to zero; every metric the Grafana dashboard
 * in docs/ queries is exported.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { buildApi } from '../../../src/api/server';
import { freePort, repoRoot, startPrometheus, type PrometheusServer } from '../../../src/dev/servers';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { observeRepository } from '../../../src/runtime/observability';
import { withConcurrency } from '../../../src/support/concurrency';
import { addFocusAndSynchronize, cnToFullName, ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { listenLocally } from '../../support/listen';
import { getStack } from '../../support/stack';
import { eventually, tallyTestEnv } from '../../support/tally-harness';
import { startWorkerProcess } from '../../support/worker-process';

const ACCOUNTS = 40;
const RESOURCE = 'Watched LDAP';
const resourceOid = randomUUID();
const ou = `watched-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;
const uidOf = (i: number) => `lookout${String(i).padStart(3, '0')}`;

let services: Services;
let ldap: LdapClient;
let worker: ChildProcess | undefined;
let workerLog = '';
let ldapPassword = '';
let api: FastifyInstance;
let prometheus: PrometheusServer;
const endpoints: Record<'worker' | 'temporal' | 'api', string> = { worker: '', temporal: '', api: '' };

/** One value of an instant query (the sum over the series it selects); null when it selects none. */
async function promValue(query: string): Promise<number | null> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; error?: string; data: { result: Array<{ value: [number, string] }> } };
  if (body.status !== 'success') throw new Error(`prometheus: ${query}: ${body.error}`);
  return body.data.result.length === 0 ? null : body.data.result.reduce((sum, r) => sum + Number(r.value[1]), 0);
}

beforeAll(async () => {
  const stack = getStack();
  const env = { ...tallyTestEnv(stack, 'watched'), TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  const [metricsPort, temporalMetricsPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-watched-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapResourceYaml({
      oid: resourceOid,
      name: RESOURCE,
      ldap: { url: stack.ldap.url, bindDn: stack.ldap.serviceDn },
      base,
      attributes: cnToFullName,
      changelog: true,
      tail: addFocusAndSynchronize,
    }),
  );
  services = await openServices(loadSettings(env), env);
  await applyConfig(services.repo, services.key, [dir]);
  ldap = new LdapClient({ url: stack.ldap.url });
  await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  await withConcurrency(Array.from({ length: ACCOUNTS }, (_, i) => i), 8, async (i) => {
    await ldap.add(`uid=${uidOf(i)},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: uidOf(i), cn: `Lookout ${i}`, sn: `${i}` });
  });
  ldapPassword = stack.ldap.bindPassword;
  // At debug, one log line per change applied.
  worker = await startWorkerProcess(
    { ...env, TALLY_METRICS_PORT: String(metricsPort), TALLY_TEMPORAL_METRICS_PORT: String(temporalMetricsPort), TALLY_LOG_LEVEL: 'debug' },
    (text) => (workerLog += text),
  );
  endpoints.worker = `http://127.0.0.1:${metricsPort}/metrics`;
  endpoints.temporal = `http://127.0.0.1:${temporalMetricsPort}/metrics`;
  // The API of this test's Tally, as `tally api` serves it: its /metrics reads the repository gauges.
  observeRepository(services);
  api = buildApi({ services, token: 'watched-token' });
  endpoints.api = `${await listenLocally(api)}/metrics`;
  prometheus = await startPrometheus({ dataDir: mkdtempSync(path.join(stack.dataDir, 'prometheus-')), targets: Object.values(endpoints), scrapeInterval: '1s' });
}, 300_000);

afterAll(async () => {
  await signalLiveSync(services, resourceOid, 'stop').catch(() => undefined);
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await prometheus?.stop();
  await api?.close();
  await ldap?.unbind();
  await services?.close();
});

test(`a live-sync burst of ${ACCOUNTS} changes shows in Prometheus: the changes counter rises by the burst, the lag gauge comes back to 0; at debug the worker logs one JSON line per change`, async () => {
  const imported = await startResourceRun(services, { type: 'import', resource: resourceOid });
  expect((await waitForRun(services, imported.workflowId, () => undefined)).errors).toBe(0);
  await startLiveSync(services, resourceOid, { intervalMs: 200 });
  await eventually(async () => (await liveSyncStatuses(services, resourceOid))[0].status?.polls ?? 0, (n) => n >= 2, 'live sync polling');
  const applied = `sum(tally_changes_applied_total{resource="${RESOURCE}",channel="live-sync"})`;
  const lag = `tally_live_sync_lag_seconds{resource="${RESOURCE}"}`;
  // Scraped: every target up, and the worker's live sync caught up before the burst.
  await eventually(() => promValue('sum(up{job="tally"})'), (n) => n === 3, 'prometheus scraping the worker, its Temporal runtime and the API', 30_000);
  await eventually(() => promValue(lag), (v) => v === 0, 'the lag gauge at 0 before the burst', 30_000);
  const before = (await promValue(applied)) ?? 0;
  expect(await promValue(`sum(tally_changes_applied_total{resource="${RESOURCE}",channel="import"})`)).toBe(ACCOUNTS);

  await withConcurrency(Array.from({ length: ACCOUNTS }, (_, i) => i), 8, async (i) => {
    await ldap.modify(`uid=${uidOf(i)},${base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [`Watchman ${i}`] }) }));
  });

  await eventually(() => promValue(applied), (v) => v === before + ACCOUNTS, 'the changes counter risen by the burst', 90_000);
  await eventually(() => promValue(lag), (v) => v === 0, 'the lag gauge back at 0', 30_000);
  expect(await promValue(`sum(tally_connector_operation_seconds_count{resource="${RESOURCE}",operation="changesSince"})`)).toBeGreaterThan(0);
  expect(await promValue(`tally_pending_operations{resource="${RESOURCE}"}`)).toBe(0);
  expect(await promValue(`tally_changes_dead_lettered{resource="${RESOURCE}"}`)).toBe(0);

  // The worker's log: JSON lines, one per change applied at debug level, never the directory's password.
  const applies = workerLog
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: string; msg: string; resource?: string; channel?: string; situation?: string })
    .filter((entry) => entry.msg === 'change applied' && entry.resource === RESOURCE && entry.channel === 'live-sync');
  expect(applies).toHaveLength(ACCOUNTS);
  expect(applies.every((entry) => entry.level === 'debug' && entry.situation === 'linked')).toBe(true);
  expect(workerLog).not.toContain(ldapPassword);
}, 240_000);

test('every metric the Grafana dashboard (docs/grafana/tally-dashboard.json) queries is exported by the worker, its Temporal runtime or the API', async () => {
  const dashboard = JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'grafana', 'tally-dashboard.json'), 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  const queried = new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => t.expr.match(/\b(?:tally|temporal|process|nodejs)_[a-z0-9_]+/g) ?? []));
  expect(queried.size).toBeGreaterThan(10);
  const exposition = (await Promise.all(Object.values(endpoints).map(async (url) => (await fetch(url)).text()))).join('\n');
  const exported = new Set(exposition.split('\n').flatMap((line) => line.match(/^(?:# TYPE )?([a-zA-Z_:][a-zA-Z0-9_:]*)/)?.[1] ?? []));
  const histogramSeries = (name: string) => ['_bucket', '_sum', '_count'].some((suffix) => name.endsWith(suffix) && exported.has(name.slice(0, -suffix.length)));
  expect([...queried].filter((name) => !exported.has(name) && !histogramSeries(name))).toEqual([]);
});
