/**
 * Live synchronization on the real stack: changes made with the OpenLDAP tools (ldapadd, ldapmodify,
 * ldapmodrdn, ldapdelete, bound as the directory's admin) and rows changed in PostgreSQL reach the users
 * and the other resource with no `tally change`. Tally's own writes (bound as cn=tally, or from a
 * connection named `tally`) come back through the changelogs and are skipped. A change that fails goes
 * to its own workflow and holds nothing back; a purged position starts a reconciliation.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client as LdapClient } from 'ldapts';
import type { Client as PgClient } from 'pg';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../src/admin/live-sync';
import { queries, type LiveSyncStatus } from '../../src/workflows/workflow-ids';
import { rootCause } from '../../src/admin/root-cause';
import { exampleResources, type ExampleResources } from '../support/example-resources';
import { applyAndProvision, startTally, eventually, listenApi, recordHistories, type TallyHarness } from '../support/tally-harness';
import { runTallyCli } from '../support/tally-cli';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: ExampleResources;
let pg: PgClient;
let ldap: LdapClient;
let table: string;
let ou: string;
const dn = (uid: string) => `uid=${uid},ou=${ou},dc=example,dc=com`;

/** An OpenLDAP command-line tool bound as the directory's admin (people's changes, not Tally's). */
async function ldapTool(tool: 'ldapadd' | 'ldapmodify' | 'ldapmodrdn' | 'ldapdelete', args: string[], input?: string): Promise<void> {
  const { stack } = tally;
  const child = promisify(execFile)(tool, ['-x', '-H', stack.ldap.url, '-D', stack.ldap.bindDn, '-w', stack.ldap.bindPassword, ...args]);
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  await child;
}

async function pgRow(login: string): Promise<Record<string, string> | null> {
  return ((await pg.query(`SELECT * FROM ${table} WHERE login = $1`, [login])).rows[0] as Record<string, string> | undefined) ?? null;
}

async function status(resource: string): Promise<LiveSyncStatus> {
  const [listing] = await liveSyncStatuses(tally.services, resource);
  if (listing.status) return listing.status;
  const handle = tally.services.client.workflow.getHandle(`livesync:${resource}`);
  const described = await handle.describe();
  const why =
    described.status.name === 'RUNNING'
      ? await handle.query(queries.liveSyncStatus).then((q) => JSON.stringify(q), (e: unknown) => `its status query failed: ${rootCause(e)}`)
      : await handle.result().then((r) => `it ended: ${JSON.stringify(r)}`, (e: unknown) => `it failed: ${rootCause(e)}`);
  throw new Error(`no live sync runs for ${resource}: ${why}`);
}

async function ldapEntry(uid: string): Promise<Record<string, string> | null> {
  const { searchEntries } = await ldap.search(`ou=${ou},dc=example,dc=com`, { filter: `(uid=${uid})`, attributes: ['uid', 'cn'] });
  return (searchEntries[0] as unknown as Record<string, string>) ?? null;
}

beforeAll(async () => {
  tally = await startTally('livesync');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  ({ ldap, pg, ou, table } = resources);
  const { examples } = resources;
  const jackYaml = path.join(examples, 'users', 'jack.yaml');
  writeFileSync(jackYaml, `${readFileSync(jackYaml, 'utf8')}  - construction: { resourceRef: ${AD_OID} }\n`);
  await applyAndProvision(tally.services, [examples], { wait: false });
  await eventually(() => pgRow('jack'), (r) => r !== null, "jack's MyLittleAD row");
  await eventually(() => ldapEntry('jack'), (e) => e !== null, "jack's LDAP account");

  for (const resource of [LDAP_OID, AD_OID]) {
    const started = await startLiveSync(tally.services, resource, { intervalMs: 200 });
    expect(started.running).toBe(false);
    await eventually(() => status(resource).catch(() => null), (s) => (s?.polls ?? 0) >= 2, `live sync of ${resource} polling`);
  }
}, 180_000);

afterAll(async () => {
  for (const resource of [LDAP_OID, AD_OID]) await signalLiveSync(tally.services, resource, 'stop').catch(() => undefined);
  await resources?.close();
  await tally?.stop();
});

test('ldapadd of an unknown account: a new user with his MyLittleAD row; ldapmodify: the change flows to MyLittleAD', async () => {
  await ldapTool('ldapadd', [], `dn: ${dn('will')}\nobjectClass: inetOrgPerson\nuid: will\ncn: William Turner\ngivenName: Will\nsn: Turner\n`);
  await eventually(() => pgRow('will'), (r) => r?.cn === 'William Turner', "will's MyLittleAD row");
  expect(await tally.services.repo.users.byRef('will')).toMatchObject({ fullName: 'William Turner' });

  await ldapTool('ldapmodify', [], `dn: ${dn('jack')}\nchangetype: modify\nreplace: cn\ncn: Captain Jack Sparrow\n`);
  await eventually(() => pgRow('jack'), (r) => r?.cn === 'Captain Jack Sparrow', "jack's new cn on MyLittleAD");
  expect((await tally.services.repo.users.byRef('jack'))!.fullName).toBe('Captain Jack Sparrow');
}, 120_000);

test('Tally\'s own writes come back through both changelogs and are skipped', async () => {
  // Settle: everything before is applied, and Tally's writes of it are in the changelogs.
  await new Promise((r) => setTimeout(r, 1500));
  const before = { ldap: (await status(LDAP_OID)).changes, ad: (await status(AD_OID)).changes };
  // A person's change on MyLittleAD: one change there, then Tally writes the LDAP cn (as cn=tally) and
  // nothing else; neither write of Tally's comes back as a change.
  await pg.query(`UPDATE ${table} SET cn = 'Jack the Pirate' WHERE login = 'jack'`);
  await eventually(() => ldapEntry('jack'), (e) => e?.cn === 'Jack the Pirate', "jack's cn on LDAP from MyLittleAD");
  await new Promise((r) => setTimeout(r, 1500));
  const after = { ldap: (await status(LDAP_OID)).changes, ad: (await status(AD_OID)).changes };
  expect(after.ad - before.ad).toBe(1);
  expect(after.ldap - before.ldap).toBe(0);
}, 120_000);

test('ldapmodrdn renames the shadow; ldapdelete is the deleted situation (unlinked; an assigned account is created again)', async () => {
  const will = (await tally.services.repo.users.byRef('will'))!;
  await ldapTool('ldapmodrdn', ['-r', dn('will'), 'uid=wturner']);
  await eventually(
    async () => (await tally.services.repo.shadows.ofOwner(will.oid)).find((s) => s.resourceRef === LDAP_OID)?.secondaryIdentifier ?? null,
    (name) => name?.toLowerCase() === dn('wturner').toLowerCase(),
    "will's shadow renamed",
  );

  await ldapTool('ldapdelete', [dn('wturner')]);
  await eventually(async () => (await tally.services.repo.shadows.ofOwner(will.oid)).map((s) => s.resourceRef), (refs) => refs.length === 1 && refs[0] === AD_OID, "will's LDAP account unlinked");

  // jack's account is assigned (the Pirate role): deleted behind Tally's back, it is created again.
  await ldapTool('ldapdelete', [dn('jack')]);
  await eventually(() => ldapEntry('jack'), (e) => e !== null, "jack's LDAP account created again", 60_000);
}, 120_000);

test('a change that fails goes to its own workflow; the changes after it are applied', async () => {
  const before = await status(LDAP_OID);
  // No uid: the inbound mappings give the new user no name.
  await ldapTool('ldapadd', [], `dn: cn=Nobody Known,ou=${ou},dc=example,dc=com\nobjectClass: inetOrgPerson\ncn: Nobody Known\nsn: Known\n`);
  await ldapTool('ldapadd', [], `dn: ${dn('gibbs')}\nobjectClass: inetOrgPerson\nuid: gibbs\ncn: Joshamee Gibbs\nsn: Gibbs\n`);
  await eventually(() => tally.services.repo.users.byRef('gibbs'), (u) => u !== null, 'user gibbs');
  const after = await eventually(() => status(LDAP_OID), (s) => s.handedOver > before.handedOver, 'the failed change handed over');
  expect(after.lastErrors.at(-1)).toMatchObject({ object: expect.stringMatching(/^cn=Nobody Known/i), message: expect.stringMatching(/no name/) });
}, 120_000);

test('a position the changelog no longer holds (purged) starts a reconciliation and says so', async () => {
  await signalLiveSync(tally.services, LDAP_OID, 'pause');
  await eventually(() => status(LDAP_OID), (s) => s.state === 'paused', 'live sync paused');
  // As if logpurge had removed the records up to and past the stored position.
  await tally.services.repo.liveSync.saveToken(LDAP_OID, '20000101000000.000000Z#000000#000#000000', new Date().toISOString());
  await signalLiveSync(tally.services, LDAP_OID, 'resume');
  const after = await eventually(() => status(LDAP_OID), (s) => s.reconciliationsStarted === 1, 'a reconciliation started');
  expect(after.state).toBe('polling');
  const result = (await tally.services.client.workflow.getHandle(`recon:${LDAP_OID}`).result()) as { phase: string };
  expect(result.phase).toBe('finished');
  const position = (await tally.services.repo.liveSync.token(LDAP_OID))!.token!;
  expect(position > '20000101000000.000000Z').toBe(true);
}, 120_000);

test('the CLI and the API show and steer live sync', async () => {
  const cli = await runTallyCli(tally.env, ['livesync', 'status', 'OpenDJ LDAP directory']);
  expect(cli.code).toBe(0);
  expect(cli.stdout).toMatch(/^OpenDJ LDAP directory: polling \(livesync:c0c010c0-d34d-b33f-f00d-333111111111\); \d+ polls, \d+ changes/);
  const again = await runTallyCli(tally.env, ['livesync', 'start', LDAP_OID]);
  expect(again.stdout).toMatch(/live sync of OpenDJ LDAP directory runs already: livesync:/);

  const { api, url } = await listenApi(tally, 'livesync-token');
  try {
    const call = (p: string, method = 'GET') => fetch(`${url}/api/v1${p}`, { method, headers: { authorization: 'Bearer livesync-token' } });
    expect((await call(`/resources/${AD_OID}/livesync/pause`, 'POST')).status).toBe(200);
    await eventually(async () => ((await (await call(`/livesync?resource=${AD_OID}`)).json()) as Array<{ status: LiveSyncStatus }>)[0].status.state, (s) => s === 'paused', 'MyLittleAD paused');
    expect((await call(`/resources/${AD_OID}/livesync/resume`, 'POST')).status).toBe(200);
    await eventually(() => status(AD_OID), (s) => s.state === 'polling', 'MyLittleAD polling again');
    expect((await call('/resources/Atlantis/livesync/start', 'POST')).status).toBe(404);
    expect((await call(`/resources/${AD_OID}/livesync/rewind`, 'POST')).status).toBe(404);

    expect((await call(`/resources/${AD_OID}/livesync/stop`, 'POST')).status).toBe(200);
    const ended = (await tally.services.client.workflow.getHandle(`livesync:${AD_OID}`).result()) as LiveSyncStatus;
    expect(ended).toMatchObject({ state: 'stopped', resourceOid: AD_OID });
    expect(ended.changes).toBeGreaterThanOrEqual(1);
    expect((await call(`/resources/${AD_OID}/livesync/pause`, 'POST')).status).toBe(409);
    await recordHistories(tally.stack.temporal, { 'live-sync-stopped': `livesync:${AD_OID}` });
  } finally {
    await api.close();
  }
}, 120_000);
