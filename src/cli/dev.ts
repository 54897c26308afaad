/** `tally dev`: the embedded stack, the worker and the API in one process, until Ctrl-C. */
import { startDevStack } from '../dev/dev-stack';
import { repoRoot } from '../dev/servers';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../runtime/settings';
import { openServices } from '../runtime/services';
import { createTallyWorker } from '../worker';
import { beginObservability, observeRepository } from '../runtime/observability';
import { installTemporalRuntime } from '../observability/temporal-runtime';
import { buildApi } from '../api/server';
import { codecEndpointUrl, codecSettings } from '../api/codec-endpoint';
import { seedExamplePaths, setUpDevExamples } from '../dev/dev-examples';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

export async function runDev(options: { dataDir: string; examples?: boolean }): Promise<void> {
  const log = (line: string) => console.log(`[tally dev] ${line}`);
  log('starting the embedded stack ...');
  // The UI decodes payloads through the API's codec endpoint, which listens where the settings say.
  const codecEndpoint = codecEndpointUrl(loadSettings(process.env));
  const stack = await startDevStack({ dataDir: options.dataDir, env: process.env, log, codecEndpoint });
  Object.assign(process.env, stack.env);
  const settings = loadSettings(process.env);
  let stopping = false;
  const cleanups: Array<() => Promise<void>> = [stack.stop];
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping ...');
    for (const c of cleanups.reverse()) await c().catch((e) => log(`while stopping: ${(e as Error).message}`));
    log('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    const logger = beginObservability('tally', settings);
    const services = await openServices(settings, process.env);
    cleanups.push(() => services.close());
    observeRepository(services);
    // The SDK's info lines (worker state changes) say nothing the dev stack's own lines don't; warnings and errors stay.
    const temporalMetrics = settings.TALLY_TEMPORAL_METRICS_PORT !== undefined ? `${settings.TALLY_METRICS_HOST}:${settings.TALLY_TEMPORAL_METRICS_PORT}` : undefined;
    installTemporalRuntime({ logger, floor: 'warn', metricsAddress: temporalMetrics });
    const { worker, connection, run } = await createTallyWorker({ settings, services });
    const running = run();
    cleanups.push(async () => {
      // The SDK reacts to Ctrl-C itself; shutting down twice is refused.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    });
    const api = buildApi({ services, token: settings.TALLY_API_TOKEN! });
    await api.listen({ host: settings.TALLY_API_HOST, port: settings.TALLY_API_PORT });
    cleanups.push(() => api.close());

    await setUpDevExamples(services, {
      paths: seedExamplePaths(path.join(repoRoot, 'examples')),
      force: options.examples,
      // The seeds' modification scenario starts with jack's two accounts linked.
      existingAccounts: [
        { resource: LDAP_OID, account: 'uid=jack,ou=people,dc=example,dc=com' },
        { resource: AD_OID, account: 'cn=jack,o=Acme' },
      ],
      log,
    });

    const urls = {
      ...stack.urls,
      'HTTP API': `http://${settings.TALLY_API_HOST}:${settings.TALLY_API_PORT}/api/v1 (Bearer token: TALLY_API_TOKEN, or dev-secrets.json)`,
      Metrics: `http://${settings.TALLY_API_HOST}:${settings.TALLY_API_PORT}/metrics${temporalMetrics ? `, Temporal SDK: http://${temporalMetrics}/metrics` : ''} (docs/observability.md)`,
      'Codec endpoint': `${codecEndpoint} (the Temporal UI decodes with it; CLI: temporal workflow show -w <id> --codec-endpoint ${codecEndpoint})`,
    };
    for (const [name, url] of Object.entries(urls)) log(`${name.padEnd(20)} ${url}`);
    if (codecSettings(process.env).tokenRequired) {
      log('the codec endpoint wants the API token (TALLY_SECRET_KEY is set, TALLY_DEV is not), which the Temporal UI cannot send: run with TALLY_DEV=1 to serve it without one here');
    }
    const envFile = path.join(repoRoot, options.dataDir, 'tally.env');
    writeFileSync(envFile, Object.entries(stack.env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    log(`other shells: set -a; . ${envFile}; set +a   (then bin/tally ... talks to this stack)`);
    log('try the modification scenario:');
    log(`  ldapmodify -x -H ldap://127.0.0.1:3890 -D cn=admin,dc=example,dc=com -w "$(node -p 'require("./${options.dataDir}/dev-secrets.json").ldapPassword')" <<< $'dn: uid=jack,ou=people,dc=example,dc=com\\nchangetype: modify\\nreplace: cn\\ncn: cpt. Jack Sparrow'`);
    log('  live sync applies it within a second: bin/tally user get jack   (bin/tally livesync status shows it working)');
    log('ready; Ctrl-C stops everything');
    await new Promise(() => undefined);
  } catch (e) {
    log(`failed: ${(e as Error).message}`);
    await shutdown(1);
  }
}
