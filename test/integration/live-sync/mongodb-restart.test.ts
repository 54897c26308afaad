/**
 * Live sync while MongoDB restarts: the poll waits for it and goes on from the stored position; every
 * change made meanwhile is applied, none is handed over as failed.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NativeConnection } from '@temporalio/worker';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { startMongod, type MongodServer } from '../../../src/dev/servers';
import { loadSettings } from '../../../src/runtime/settings';
import { openServices, type Services } from '../../../src/runtime/services';
import { withConcurrency } from '../../../src/support/concurrency';
import { createTallyWorker } from '../../../src/worker';
import { addFocusAndSynchronize, cnToFullName, ldapResourceYaml } from '../../support/ldap-resource-yaml';
import { RepositoryInspector } from '../../support/repository-inspector';
import { getStack, scratchDir } from '../../support/stack';
import { eventually, tallyTestEnv } from '../../support/tally-harness';

const ACCOUNTS = 300;
const resourceOid = randomUUID();
const ou = `mongo-${randomBytes(4).toString('hex')}`;
const base = `ou=${ou},dc=example,dc=com`;

let mongod: MongodServer;
let services: Services;
let inspect: RepositoryInspector;
let ldap: LdapClient;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  const stack = getStack();
  mongod = await startMongod({ dataDir: scratchDir('live-mongod'), cacheSizeGB: 0.25 });
  const env = { ...tallyTestEnv(stack, 'live-mongo'), MONGODB_URI: mongod.uri, TALLY_LDAP_PASSWORD: stack.ldap.bindPassword };
  Object.assign(process.env, env); // the in-process worker's connectors resolve secrets from it
  const settings = loadSettings(env);
  services = await openServices(settings, env);
  inspect = RepositoryInspector.of(services.settings);
  const { worker, connection, run } = await createTallyWorker({ settings, services });
  const running = run();
  stopWorker = async () => {
    worker.shutdown();
    await running;
    await (connection as NativeConnection).close();
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-live-mongo-'));
  writeFileSync(
    path.join(dir, 'resource.yaml'),
    ldapResourceYaml({
      oid: resourceOid,
      name: 'Restart LDAP',
      ldap: { url: stack.ldap.url, bindDn: stack.ldap.serviceDn },
      base,
      changelog: true,
      attributes: cnToFullName,
      tail: addFocusAndSynchronize,
    }),
  );
  await applyConfig(services.repo, services.key, [dir]);
  ldap = new LdapClient({ url: stack.ldap.url });
  await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  await withConcurrency(
    Array.from({ length: ACCOUNTS }, (_, i) => i),
    16,
    async (i) => {
      await ldap.add(`uid=deckhand${i},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: `deckhand${i}`, cn: `Deckhand ${i}`, sn: `${i}` });
    },
  );
  const imported = await startResourceRun(services, { type: 'import', resource: resourceOid });
  await waitForRun(services, imported.workflowId, () => undefined);
  await startLiveSync(services, resourceOid, { intervalMs: 100 });
  await eventually(async () => (await liveSyncStatuses(services, resourceOid))[0].status?.polls ?? 0, (n) => n >= 2, 'live sync polling');
}, 240_000);

afterAll(async () => {
  await signalLiveSync(services, resourceOid, 'stop').catch(() => undefined);
  await stopWorker?.();
  await ldap?.unbind();
  await services?.close();
  await inspect?.close();
  await mongod?.stop();
});

test('changes made while MongoDB is down are applied once it is back; none fails', async () => {
  const renamed = () => inspect.users.count({ fullName: /^Boatswain / });
  const modify = (i: number) => ldap.modify(`uid=deckhand${i},${base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [`Boatswain ${i}`] }) }));
  await withConcurrency([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 4, modify);
  await eventually(renamed, (n) => n === 10, 'the first changes applied');

  await mongod.stop();
  await withConcurrency(
    Array.from({ length: ACCOUNTS - 10 }, (_, k) => k + 10),
    16,
    modify,
  );
  await new Promise((r) => setTimeout(r, 3000));
  await mongod.restart();

  await eventually(renamed, (n) => n === ACCOUNTS, 'every change applied', 120_000);
  const [listing] = await liveSyncStatuses(services, resourceOid);
  expect(listing.status).toMatchObject({ state: 'polling', handedOver: 0, lastErrors: [] });
  expect(await inspect.users.count({})).toBe(ACCOUNTS);
}, 240_000);
