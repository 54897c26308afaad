/**
 * The seeds' modification scenario on the real stack: jack has a linked LDAP account and a linked
 * PostgreSQL ("MyLittleAD") account; cn of his LDAP entry is changed with ldapmodify; the change is
 * reported with `tally change`; processChange runs inbound (cn -> fullName) and provisioning carries
 * fullName outbound to the PostgreSQL account's cn.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client as PgClient } from 'pg';
import { applyConfig } from '../../src/admin/apply-config';
import { reportChangeNotification } from '../../src/admin/report-change';
import { startTally, eventually, recordHistories, type TallyHarness } from '../support/tally-harness';
import { exampleResources, type ExampleResources } from '../support/example-resources';

const run = promisify(execFile);
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: ExampleResources;
let pg: PgClient;
let table: string;
let jackDn: string;

beforeAll(async () => {
  tally = await startTally('modification');
  const { stack } = tally;
  resources = await exampleResources(stack, tally.settings.TALLY_TASK_QUEUE.slice(-8), { jack: true });
  ({ pg, table } = resources);
  jackDn = resources.accountDn('jack');

  await applyConfig(tally.services.repo, tally.services.key, [resources.examples]);
  // Both accounts exist already: reporting them links them to jack (situation unlinked -> link).
  for (const [resource, account] of [
    [LDAP_OID, jackDn],
    [AD_OID, 'cn=jack,o=Acme'],
  ]) {
    const started = await reportChangeNotification(tally.services, { resource, account }, 'api');
    await tally.services.client.workflow.getHandle(started.workflowId).result();
  }
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('jack starts with two linked accounts', async () => {
  const jack = await tally.services.repo.users.byRef('jack');
  expect(jack?.fullName).toBe('Jack Sparrow');
  const shadows = await tally.services.repo.shadows.ofOwner(jack!.oid);
  expect(shadows.map((s) => s.resourceRef).sort()).toEqual([LDAP_OID, AD_OID].sort());
  expect(shadows.every((s) => s.situation === 'linked')).toBe(true);
  expect(jack!.linkRef.sort()).toEqual(shadows.map((s) => s.oid).sort());
});

test('a cn change on the LDAP account flows inbound to fullName and outbound to the PostgreSQL account', async () => {
  const { stack } = tally;
  const ldif = `dn: ${jackDn}\nchangetype: modify\nreplace: cn\ncn: cpt. Jack Sparrow\n`;
  const modify = execFile('ldapmodify', ['-x', '-H', stack.ldap.url, '-D', stack.ldap.bindDn, '-w', stack.ldap.bindPassword]);
  modify.stdin!.end(ldif);
  await new Promise<void>((resolve, reject) => modify.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ldapmodify exited ${code}`)))));

  const cli = await run(path.join(__dirname, '..', '..', 'bin', 'tally'), ['change', LDAP_OID, jackDn, '--wait', '--json'], {
    env: { ...process.env, ...tally.env },
    timeout: 120_000,
  });
  const reported = JSON.parse(cli.stdout) as { workflowId: string; outcome: Array<{ situation: string; changedUserPaths: string[]; accounts: string[]; handedOver: string[] }> };
  expect(reported.workflowId).toMatch(new RegExp(`^change:${LDAP_OID}:`));
  expect(reported.outcome[0].situation).toBe('linked');
  expect(reported.outcome[0].changedUserPaths).toEqual(['fullName']);

  const jack = await tally.services.repo.users.byRef('jack');
  expect(jack?.fullName).toBe('cpt. Jack Sparrow');

  const row = await eventually(
    async () => (await pg.query(`SELECT cn FROM ${table} WHERE name = 'cn=jack,o=Acme'`)).rows[0] as { cn: string },
    (r) => r.cn === 'cpt. Jack Sparrow',
    'the PostgreSQL account cn',
  );
  expect(row.cn).toBe('cpt. Jack Sparrow');

  // One workflow and one local activity did it all: nothing had to wait, so no provisionAccount workflow.
  const history = await tally.services.client.workflow.getHandle(reported.workflowId).fetchHistory();
  const events = history.events ?? [];
  expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(1);
  expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
  expect(reported.outcome[0].accounts).toEqual([expect.stringMatching(new RegExp(`^${AD_OID}: done \\(modify done\\)$`))]);
  expect(reported.outcome[0].handedOver).toEqual([]);
  const adShadow = (await tally.services.repo.shadows.ofOwner(jack!.oid)).find((s) => s.resourceRef === AD_OID)!;
  await expect(tally.services.client.workflow.getHandle(`provision:${adShadow.oid}`).describe()).rejects.toThrow(/not found/i);
  expect(adShadow.pendingOperations).toEqual([]);

  // The originating LDAP account keeps the new value: no echo back.
  const ldapShadow = (await tally.services.repo.shadows.ofOwner(jack!.oid)).find((s) => s.resourceRef === LDAP_OID)!;
  expect(ldapShadow.pendingOperations).toEqual([]);

  await recordHistories(tally.stack.temporal, { 'process-change-modification': reported.workflowId });
});
