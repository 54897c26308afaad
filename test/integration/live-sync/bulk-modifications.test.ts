/**
 * Live sync's bulk path: a burst of modifications of linked accounts is applied a slice at a time (a few
 * MongoDB requests for the whole slice, where the one-object routine sends about ten per change), with the
 * same result as the routine: users changed by inbound, their PostgreSQL rows by outbound, audit, no mark
 * or operation left behind. Unusual changes in the same burst (a renamed account, a user whose earlier
 * provisioning never finished, an account with an operation waiting) go through the routine and end right.
 * A poll that follows changes keeps reading a while when it finds none, so a stream isn't held up by the
 * workflow's timers (which wait whole seconds).
 */
import { randomUUID } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import { signalLiveSync, startLiveSync, liveSyncStatuses } from '../../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../../src/admin/resource-runs';
import { pollChangelog } from '../../../src/sync/live-sync/changelog-poll';
import { withConcurrency } from '../../../src/support/concurrency';
import { exampleResources } from '../../support/example-resources';
import { getStack } from '../../support/stack';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const ACCOUNTS = 120;
const uidOf = (i: number) => `deckhand${String(i).padStart(3, '0')}`;

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;
let commands = 0;
let counting = false;

beforeAll(async () => {
  const stack = getStack();
  const mongo = new URL(stack.mongo.uri);
  mongo.searchParams.set('monitorCommands', 'true');
  tally = await startTally('bulk-live', { env: { MONGODB_URI: mongo.toString() } });
  tally.services.repo.onCommand(() => counting && commands++);
  resources = await exampleResources(stack, 'bulklive');
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
  await withConcurrency(
    Array.from({ length: ACCOUNTS }, (_, i) => uidOf(i)),
    8,
    async (uid) => {
      await resources.ldap.add(resources.accountDn(uid), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid, cn: `Deckhand ${uid}`, givenName: 'Deckhand', sn: uid });
    },
  );
  const imported = await startResourceRun(tally.services, { type: 'import', resource: LDAP_OID });
  await waitForRun(tally.services, imported.workflowId, () => undefined);
  await eventually(() => tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } }), (n) => n === 0, 'the import provisioned every row');
  await startLiveSync(tally.services, LDAP_OID, { intervalMs: 2_000 });
  await eventually(async () => (await liveSyncStatuses(tally.services, LDAP_OID))[0].status?.polls ?? 0, (n) => n >= 1, 'live sync started');
}, 300_000);

afterAll(async () => {
  await signalLiveSync(tally.services, LDAP_OID, 'stop').catch(() => undefined);
  await resources?.close();
  await tally?.stop();
});

const setCn = (uid: string, cn: string) => resources.ldap.modify(resources.accountDn(uid), new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [cn] }) }));
const userOf = (uid: string) => tally.inspect.users.findOne({ name: uid });
const rowsOf = async (logins: string[]) =>
  new Map((await resources.pg.query<{ login: string; cn: string; given_name: string }>(`SELECT login, cn, given_name FROM ${resources.table} WHERE login = ANY($1)`, [logins])).rows.map((r) => [r.login, r]));

it('applies a burst of modifications in bulk, and the unusual ones in it through the routine, each as the routine would', async () => {
  const uids = Array.from({ length: ACCOUNTS }, (_, i) => uidOf(i));
  const [renamed, unfinished, queued] = uids;
  // A user changed earlier whose provisioning never finished: this change provisions him whole.
  const due = await userOf(unfinished);
  await tally.services.repo.users.update(due!.oid, due!.version, { set: { givenName: 'Unfinished', projectionDue: { since: new Date().toISOString(), token: `t/${randomUUID()}`, paths: ['givenName'] } } });
  // An account with an operation waiting: the change's operation queues behind it, both are done in order.
  const queuedUser = await userOf(queued);
  const rowShadow = await tally.inspect.shadows.findOne({ ownerRef: queuedUser!.oid, resourceRef: { $ne: LDAP_OID } });
  const waiting = { id: randomUUID(), type: 'modify', delta: [{ path: 'given_name', replace: ['Waiting'] }], requestTimestamp: new Date().toISOString(), attemptNumber: 0, result: { status: 'postponed' } };
  await tally.services.repo.shadows.patch(rowShadow!.oid, { set: { pendingOperations: [waiting] } });

  const expected = new Map(uids.map((uid) => [uid, `Able Seaman ${uid}`]));
  counting = true;
  await resources.ldap.modifyDN(resources.accountDn(renamed), `uid=${renamed}-x`);
  await withConcurrency(uids, 16, (uid) => setCn(uid === renamed ? `${renamed}-x` : uid, expected.get(uid)!));
  const rows = await eventually(() => rowsOf(uids), (r) => uids.every((uid) => r.get(uid)?.cn === expected.get(uid)), 'every PostgreSQL row shows its new cn', 120_000);
  counting = false;

  for (const uid of uids) expect((await userOf(uid))?.fullName).toBe(expected.get(uid));
  expect(rows.get(unfinished)?.given_name).toBe('Unfinished');
  await eventually(() => rowsOf([queued]), (r) => r.get(queued)?.given_name === 'Waiting', 'the waiting operation was done too');
  expect((await tally.inspect.shadows.findOne({ resourceRef: LDAP_OID, secondaryIdentifier: new RegExp(`^uid=${renamed}-x,`, 'i') }))?.ownerRef).toBe((await userOf(renamed))?.oid);
  await eventually(() => tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } }), (n) => n === 0, 'no operation left waiting');
  expect(await tally.inspect.users.count({ projectionDue: { $exists: true } })).toBe(0);
  const audited = (await tally.inspect.audit.find({ objectType: 'user', message: /^inbound from / })).map((a) => a.objectOid);
  const users = await tally.inspect.users.find({ name: { $in: uids } });
  expect(users.filter((u) => !audited.includes(u.oid)).map((u) => u.name)).toEqual([]);
  // About ten MongoDB requests per change through the routine; a few per slice in bulk.
  expect(commands / ACCOUNTS).toBeLessThan(3);
}, 300_000);

it('a poll asked to linger reads a change made while it waits; one not asked ends with what is there', async () => {
  await signalLiveSync(tally.services, LDAP_OID, 'stop');
  await eventually(async () => (await liveSyncStatuses(tally.services, LDAP_OID))[0].workflowId, (id) => !id, 'live sync stopped');
  const deps = tally.services.syncDeps;
  expect(await pollChangelog(deps, LDAP_OID, { limit: 100 })).toMatchObject({ changes: 0, applied: 0 });

  const uid = uidOf(ACCOUNTS - 1);
  const later = new Promise((r) => setTimeout(r, 300)).then(() => setCn(uid, 'Boatswain'));
  const lingering = await pollChangelog(deps, LDAP_OID, { limit: 100, lingerMs: 5_000 });
  await later;
  expect(lingering).toMatchObject({ changes: 1, applied: 1 });
  expect((await rowsOf([uid])).get(uid)?.cn).toBe('Boatswain');
}, 120_000);
