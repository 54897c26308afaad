/**
 * `tally change` says what happened, as an operator runs it (the real bin/tally against a real Tally): a
 * change of an account nobody knows (or a name shaped like an LDAP filter) exits 1 with "no account X on
 * resource Y" (the HTTP API answers 404), an account gone from the resource is the `deleted` situation, an
 * existing account found by an add is printed as linked, and every write keeps the channel it came through.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Attribute, Change, type Client as LdapClient } from 'ldapts';
import type { Client as PgClient } from 'pg';
import { applyConfig } from '../../../src/admin/apply-config';
import type { ChangeOutcome } from '../../../src/sync/synchronize-change';
import { runTallyCli } from '../../support/tally-cli';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { listenApi, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP = 'OpenDJ LDAP directory';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';
const TOKEN = 'change-outcomes-token';

let tally: TallyHarness;
let resources: ExampleResources;
let ldap: LdapClient;
let pg: PgClient;
let ou: string;
let table: string;
let apiUrl: string;
let closeApi: () => Promise<void>;
const dn = (uid: string) => `uid=${uid},ou=${ou},dc=example,dc=com`;
const tallyCli = (args: string[]) => runTallyCli(tally.env, args);
const person = (uid: string, cn: string) => ({ objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid, cn, sn: uid, givenName: uid });

beforeAll(async () => {
  tally = await startTally('change-outcomes');
  resources = await exampleResources(tally.stack, `outcomes_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`);
  ({ ldap, pg, ou, table } = resources);
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  const listening = await listenApi(tally, TOKEN);
  apiUrl = listening.url;
  closeApi = () => listening.api.close();
}, 120_000);

afterAll(async () => {
  await closeApi?.();
  await resources?.close();
  await tally?.stop();
});

test('a change of an account neither Tally nor the resource knows exits 1 with "no account X on resource Y"; filter-shaped names too', async () => {
  const cases: Array<[string[], string]> = [
    [['change', LDAP, dn('nobody')], dn('nobody')],
    [['change', LDAP, 'uid=*)(uid=*'], 'uid=*)(uid=*'],
    [['change', LDAP, `uid=*)(uid=*,ou=${ou},dc=example,dc=com`, '--wait'], `uid=*)(uid=*,ou=${ou},dc=example,dc=com`],
    [['change', LDAP, '*)(entryUUID=*', '--primary'], '*)(entryUUID=*'],
    [['change', 'MyLittleAD', "cn=nobody,o=Acme' OR '1'='1"], "cn=nobody,o=Acme' OR '1'='1"],
  ];
  for (const [args, account] of cases) {
    const result = await tallyCli(args);
    const resource = args[1];
    expect({ args, code: result.code, stderr: result.stderr.trim() }).toEqual({ args, code: 1, stderr: `tally: no account ${account} on resource ${resource}` });
  }
  const timeoutAlone = await tallyCli(['change', LDAP, dn('nobody'), '--timeout', '3s']);
  expect({ code: timeoutAlone.code, stderr: timeoutAlone.stderr.trim() }).toEqual({ code: 1, stderr: 'tally: --timeout limits --wait: give both, or neither' });
  // Nothing was started or stored for them.
  expect(await tally.inspect.shadows.count({})).toBe(0);
  expect(await tally.inspect.users.count({})).toBe(0);
}, 120_000);

test('POST /api/v1/changes of one unknown account is 404 with the same message; nothing is stored', async () => {
  const response = await fetch(`${apiUrl}/api/v1/changes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resource: LDAP, account: 'uid=*)(uid=*' }),
  });
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ error: 'not found', message: `no account uid=*)(uid=* on resource ${LDAP}` });
  expect(await tally.inspect.changeEvents.count({})).toBe(0);
});

test('a new account: its outcome says unmatched, the user created and the existing MyLittleAD row linked (not added); channels are the CLI user\'s', async () => {
  await ldap.add(dn('wreck'), person('wreck', 'Wreck Diver'));
  // The row the template's MyLittleAD account would create is there already: the add finds it and links it.
  await pg.query(`INSERT INTO ${table} (name, login, cn) VALUES ('cn=wreck,o=Acme', 'wreck', 'old name')`);

  const result = await tallyCli(['change', LDAP, dn('wreck'), '--wait']);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  const lines = result.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^processChange change:/);
  expect(lines[1]).toMatch(new RegExp(`^  ${dn('wreck')}: unmatched: addFocus: user wreck created; accounts: .*${AD_OID}: linked \\(.*already existed and belongs to the owner: linked`));
  expect(result.stdout).not.toMatch(/add done/);

  const user = await tally.services.repo.users.byRef('wreck');
  expect(user).toMatchObject({ fullName: 'Wreck Diver', metadata: { createChannel: 'user', modifyChannel: 'user' } });
  const shadows = await tally.services.repo.shadows.ofOwner(user!.oid);
  expect(shadows.map((s) => [s.resourceRef === AD_OID ? 'MyLittleAD' : 'LDAP', s.metadata.modifyChannel]).sort()).toEqual([
    ['LDAP', 'user'],
    ['MyLittleAD', 'user'],
  ]);
  expect((await pg.query(`SELECT cn FROM ${table} WHERE name = 'cn=wreck,o=Acme'`)).rows).toEqual([{ cn: 'Wreck Diver' }]);
}, 120_000);

test('a change reported by live sync is stored with modifyChannel live-sync, on the user and on the account it provisioned', async () => {
  await ldap.modify(dn('wreck'), new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: ['Captain Wreck'] }) }));
  // The change as live sync hands it to processChange (the workflow's short input, channel live-sync).
  const handle = await tally.services.client.workflow.start('processChange', {
    taskQueue: tally.settings.TALLY_TASK_QUEUE,
    workflowId: `outcomes-livesync-${Date.now()}`,
    args: [{ resource: LDAP, account: dn('wreck'), channel: 'live-sync' }],
  });
  const [outcome] = await handle.result() as ChangeOutcome[];
  expect(outcome).toMatchObject({ situation: 'linked', found: true, changedUserPaths: ['fullName'] });
  const user = await tally.services.repo.users.byRef('wreck');
  expect(user).toMatchObject({ fullName: 'Captain Wreck', metadata: { modifyChannel: 'live-sync' } });
  const shadows = await tally.services.repo.shadows.ofOwner(user!.oid);
  expect(shadows.map((s) => s.metadata.modifyChannel)).toEqual(['live-sync', 'live-sync']);
  expect((await pg.query(`SELECT cn FROM ${table} WHERE name = 'cn=wreck,o=Acme'`)).rows).toEqual([{ cn: 'Captain Wreck' }]);
}, 120_000);

test('an account deleted on the resource while its shadow remains is the deleted situation: unlinked, exit 0', async () => {
  const userOid = (await tally.services.repo.users.byRef('wreck'))!.oid;
  await ldap.del(dn('wreck'));
  const result = await tallyCli(['change', LDAP, dn('wreck'), '--wait', '--json']);
  expect(result.code).toBe(0);
  const [outcome] = (JSON.parse(result.stdout) as { outcome: ChangeOutcome[] }).outcome;
  expect(outcome).toMatchObject({ found: true, situation: 'deleted', actions: ['unlink: unlinked'], ownerOid: null, summary: `${dn('wreck')}: deleted: unlink: unlinked` });
  const shadow = await tally.services.repo.shadows.get(outcome.shadowOid!);
  expect(shadow).toMatchObject({ exists: false, ownerRef: null, situation: 'deleted', metadata: { modifyChannel: 'user' } });
  expect((await tally.services.repo.users.get(userOid))!.linkRef).not.toContain(outcome.shadowOid);
}, 120_000);

test('tally user assign prints link for an account found already there', async () => {
  const anne = `kind: User\nname: anne\ngivenName: Anne\nfamilyName: Bonny\n`;
  const file = path.join(resources.examples, 'anne.yaml');
  writeFileSync(file, anne);
  await applyConfig(tally.services.repo, tally.services.key, [file]);
  await pg.query(`INSERT INTO ${table} (name, login, cn) VALUES ('cn=anne,o=Acme', 'anne', 'Anne')`);
  const result = await tallyCli(['user', 'assign', 'anne', '--resource', 'MyLittleAD', '--wait']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^ {2}link {3}MyLittleAD: .*found already there: linked$/m);
  expect(result.stdout).not.toMatch(/^ {2}add /m);
}, 120_000);
