/** `tally dev`: the embedded stack, the worker and the API in one process, until Ctrl-C. */
import { startDevStack } from '../dev/dev-stack';
import { repoRoot } from '../dev/servers';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSettings } from '../runtime/settings';
import { openServices } from '../runtime/services';
import { createTallyWorker } from '../worker';
import { buildApi } from '../api/server';
import { applyConfig } from '../admin/apply-config';
import { startConfiguredLiveSyncs } from '../admin/live-sync';
import { reportChangeNotification } from '../admin/report-change';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

export async function runDev(options: { dataDir: string }): Promise<void> {
  const log = (line: string) => console.log(`[tally dev] ${line}`);
  log('starting the embedded stack ...');
  const stack = await startDevStack({ dataDir: options.dataDir, env: process.env, log });
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
    const services = await openServices(settings, process.env);
    cleanups.push(() => services.close());
    const { worker, connection } = await createTallyWorker({ settings, services });
    const running = worker.run();
    cleanups.push(async () => {
      // The SDK reacts to Ctrl-C itself; shutting down twice is refused.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    });
    const api = buildApi({ services, token: settings.TALLY_API_TOKEN! });
    await api.listen({ host: settings.TALLY_API_HOST, port: settings.TALLY_API_PORT });
    cleanups.push(() => api.close());

    const applied = await applyConfig(services.repo, services.key, [path.join(repoRoot, 'examples')]);
    for (const user of applied.usersToProvision) {
      await services.workflows.requestUserProvisioning({ userOid: user.userOid, channel: 'user', changedUserPaths: user.changedUserPaths, removedAssignments: user.removedAssignments });
    }
    log(`applied examples/: ${applied.stored.map((s) => `${s.kind} ${s.name} (${s.change})`).join(', ')}`);
    // The seeds' modification scenario starts with jack's two accounts linked: report them once.
    for (const [resource, account] of [
      [LDAP_OID, 'uid=jack,ou=people,dc=example,dc=com'],
      [AD_OID, 'cn=jack,o=Acme'],
    ]) {
      const started = await reportChangeNotification(services, { resource, account }, 'user');
      await services.client.workflow.getHandle(started.workflowId).result();
    }
    log("jack's LDAP and MyLittleAD accounts are linked");
    for (const started of await startConfiguredLiveSyncs(services)) {
      log(`live sync of ${started.resourceName} ${started.running ? 'runs' : 'started'} (${started.workflowId}): changes on it reach Tally by themselves`);
    }

    const urls = { ...stack.urls, 'HTTP API': `http://${settings.TALLY_API_HOST}:${settings.TALLY_API_PORT}/api/v1 (Bearer token: TALLY_API_TOKEN, or dev-secrets.json)` };
    for (const [name, url] of Object.entries(urls)) log(`${name.padEnd(20)} ${url}`);
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
