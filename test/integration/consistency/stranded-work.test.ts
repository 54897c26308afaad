/**
 * Work whose executor died is noticed and finished, whatever path left it: a user changed whose
 * provisioning never ran, an operation claimed by an executor that is gone, and a change repeated after
 * its first attempt changed the user and died before provisioning.
 */
import type { Client as PgClient } from 'pg';
import { Client as LdapClient, Change, Attribute } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { reportChangeNotification } from '../../../src/admin/report-change';
import { changeUser } from '../../../src/sync/user-changes';
import type { ChangeOutcome } from '../../../src/sync/synchronize-change';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { strandedCnModify } from '../../support/stranded-operations';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const SQL_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

let tally: TallyHarness;
let resources: ExampleResources;
let pg: PgClient;
let table: string;
let jackDn: string;
let jackOid: string;

const rowCn = async () => (await pg.query(`SELECT cn FROM ${table} WHERE login = 'jack'`)).rows.map((r) => r.cn as string);
const jack = async () => (await tally.services.repo.users.get(jackOid))!;
const sqlShadow = async () => (await tally.services.repo.shadows.ofOwner(jackOid)).find((s) => s.resourceRef === SQL_OID)!;

beforeAll(async () => {
  // A short lease, so what waits for one to run out waits seconds (the default is 30 s).
  tally = await startTally('stranded', { env: { TALLY_CLAIM_LEASE_MS: '3000', TALLY_STRANDED_WORK_INTERVAL_MS: '1000' } });
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8), { jack: true });
  ({ pg, table } = resources);
  jackDn = resources.accountDn('jack');
  await applyConfig(tally.services.repo, tally.services.key, [resources.examples]);
  for (const [resource, account] of [
    [LDAP_OID, jackDn],
    [SQL_OID, 'cn=jack,o=Acme'],
  ]) {
    const started = await reportChangeNotification(tally.services, { resource, account }, 'api');
    await tally.services.client.workflow.getHandle(started.workflowId).result();
  }
  jackOid = (await tally.services.repo.users.byRef('jack'))!.oid;
  await eventually(jack, (u) => !u.projectionDue && u.linkRef.length === 2, "jack linked and provisioned");
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('a user changed whose provisioning never ran (the writer died right after the write) is provisioned by the sweep', async () => {
  const changed = await changeUser(tally.services.repo, jackOid, 'api', new Date().toISOString(), (u) => ({ ...u, fullName: 'Jack Orphaned' }));
  expect(changed?.after.projectionDue?.paths).toEqual(['fullName']);
  // Nobody asks for his provisioning: only the worker's sweep can find him.
  await eventually(rowCn, (cn) => cn[0] === 'Jack Orphaned', "fullName on jack's row", 90_000);
  await eventually(jack, (u) => !u.projectionDue, "jack's provisioning mark removed");
}, 120_000);

test('an operation claimed by an executor that died is finished once its claim has run out', async () => {
  const shadow = await sqlShadow();
  const claimedAt = new Date(Date.now() - 60_000).toISOString();
  // What a live-sync activity leaves when its worker is killed between queueing (claimed) and executing.
  await tally.services.repo.shadows.patch(shadow.oid, {
    set: {
      pendingOperations: [
        strandedCnModify({
          id: 'stranded-modify',
          cn: 'Jack Stranded',
          requestedAt: claimedAt,
          claimedUntil: new Date(Date.now() + 2_000).toISOString(),
          claimedBy: 'inline:livesync:dead',
          from: { channel: 'live-sync', workflowId: 'livesync:dead' },
        }),
      ],
    },
  });
  await eventually(rowCn, (cn) => cn[0] === 'Jack Stranded', 'the stranded modify executed', 90_000);
  expect((await sqlShadow()).pendingOperations).toEqual([]);
}, 120_000);

test('a change repeated after its first attempt changed the user and died provisions his accounts, though its inbound changes nothing now', async () => {
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
  try {
    await ldap.modify(jackDn, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: ['Jack Repeated'] }) }));
  } finally {
    await ldap.unbind();
  }
  // The first attempt: inbound stored cn -> fullName, then its worker died before provisioning.
  await changeUser(tally.services.repo, jackOid, 'api', new Date().toISOString(), (u) => ({ ...u, fullName: 'Jack Repeated' }));

  const started = await reportChangeNotification(tally.services, { resource: LDAP_OID, account: jackDn }, 'api');
  const outcome = ((await tally.services.client.workflow.getHandle(started.workflowId).result()) as ChangeOutcome[]).at(-1)!;
  expect(outcome.changedUserPaths).toEqual([]);
  expect(outcome.accounts.join('; ')).toContain(`${SQL_OID}: done`);
  expect(await rowCn()).toEqual(['Jack Repeated']);
  expect((await jack()).projectionDue).toBeUndefined();
}, 120_000);
