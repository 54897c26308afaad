/**
 * midPoint's OpenLDAP sample in its own layout (examples/midpoint-sample/), from the outside: on a private
 * slapd holding the sample's directory (accounts under ou=People, the group cn=Pirates under ou=Groups, the
 * IDM's own entry under ou=Administrators, service entries), `tally apply` of the sample succeeds with its
 * names checked against the directory; an import, hand changes picked up by live sync (an account's cn, a
 * group's description and members, a new account, a deleted account, the protected entry), a role
 * assignment, a user made and one disabled in Tally, changes reported by hand and a reconciliation leave
 * no failed operation anywhere: `tally status` lists nothing of it, the runs count no error, every
 * processChange completed. The administrator entry is never linked nor changed; groups are never read as
 * accounts (a change naming the role's group finds no account and leaves the group's shadow alone).
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { liveSyncStatuses, signalLiveSync } from '../../../src/admin/live-sync';
import { startSlapd, type SlapdServer } from '../../../src/dev/servers';
import type { StuckOperation } from '../../../src/admin/stuck-operations';
import type { LiveSyncListing } from '../../../src/admin/live-sync';
import type { RunSummary } from '../../../src/workflows/resource-run';
import { workflowIds } from '../../../src/workflows/workflow-ids';
import { scratchDir } from '../../support/stack';
import { runTallyCli, tallyCliOk } from '../../support/tally-cli';
import { eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const SAMPLE = path.join(__dirname, '..', '..', '..', 'examples', 'midpoint-sample');
const RESOURCE_OID = '2a7c7130-7a34-11e4-bdf6-001e8c717e5b';
const RESOURCE = 'Localhost OpenLDAP';
const PIRATES_ROLE_OID = '6c5e8a3a-6f4f-4d0b-9d5c-7a3e2f1b0c11';
const PASSWORD_ENV = 'TALLY_SAMPLE_LDAP_PASSWORD';
const SUFFIX = 'dc=example,dc=com';
const IDM = `uid=idm,ou=Administrators,${SUFFIX}`;
const PIRATES = `cn=Pirates,ou=Groups,${SUFFIX}`;
const person = (uid: string) => `uid=${uid},ou=People,${SUFFIX}`;

let tally: TallyHarness;
let slapd: SlapdServer;
let admin: LdapClient;
let env: Record<string, string>;

const cli = (...args: string[]) => tallyCliOk(env, args);
const cliJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await cli(...args, '--json')) as T;

/** The sample's directory without the entries a new slapd has already (its suffix, ou=people, ou=groups). */
function sampleEntries(): string {
  const made = new Set([SUFFIX, `ou=people,${SUFFIX}`, `ou=groups,${SUFFIX}`]);
  const ldif = readFileSync(path.join(SAMPLE, 'directory.ldif'), 'utf8').replace(/^#.*\n/gm, '');
  return ldif
    .split(/\n\s*\n/)
    .map((entry) => entry.trim())
    .filter((entry) => entry && !made.has(/^dn: (.*)$/m.exec(entry)![1].toLowerCase()))
    .map((entry) => `${entry}\n\n`)
    .join('');
}

/** The sample's files pointing at this test's slapd, written as Tally's own account there. */
function sampleForSlapd(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-midpoint-sample-'));
  cpSync(SAMPLE, dir, { recursive: true });
  const file = path.join(dir, 'resource-openldap.yaml');
  const text = readFileSync(file, 'utf8')
    .replace('url: ldap://localhost:389', `url: ${slapd.url}`)
    .replace(`bindDn: ${IDM}`, `bindDn: ${slapd.serviceDn}`);
  writeFileSync(file, text);
  return dir;
}

async function entry(dn: string): Promise<Record<string, unknown> | undefined> {
  const found = await admin.search(dn, { scope: 'base', attributes: ['*', 'entryCSN', 'modifiersName'] }).catch(() => ({ searchEntries: [] }));
  return found.searchEntries[0];
}
async function members(group: string): Promise<string[]> {
  const member = (await entry(group))?.member ?? [];
  return (Array.isArray(member) ? member : [member]).map((m) => String(m).toLowerCase()).sort();
}
const change = (operation: 'add' | 'delete' | 'replace', type: string, values: string[]) => new Change({ operation, modification: new Attribute({ type, values }) });

const users = () => tally.inspect.users.find({});
const userNames = async () => (await users()).map((u) => u.name).sort();
const shadows = () => tally.inspect.shadows.find({ resourceRef: RESOURCE_OID });

async function liveSync(): Promise<NonNullable<LiveSyncListing['status']>> {
  const [listing] = await liveSyncStatuses(tally.services, RESOURCE_OID);
  if (!listing.status) throw new Error('the sample resource\'s live sync does not run');
  return listing.status;
}

/** Live sync has read everything the directory logged so far (three polls after this moment). */
async function liveSyncSettled(): Promise<void> {
  const now = await liveSync();
  await eventually(liveSync, (s) => s.polls >= now.polls + 3, 'three more live-sync polls', 30_000);
}

beforeAll(async () => {
  const password = `sample-${randomBytes(9).toString('hex')}`;
  slapd = await startSlapd({ dataDir: scratchDir('midpoint-sample'), adminPassword: password, seedLdif: sampleEntries() });
  tally = await startTally('midpointsample');
  process.env[PASSWORD_ENV] = password;
  env = { ...tally.env, [PASSWORD_ENV]: password };
  admin = new LdapClient({ url: slapd.url });
  await admin.bind(slapd.bindDn, password);
}, 180_000);

afterAll(async () => {
  await signalLiveSync(tally.services, RESOURCE_OID, 'stop').catch(() => undefined);
  await admin?.unbind().catch(() => undefined);
  await tally?.stop();
  await slapd?.stop();
});

test("the sample applies, with its attribute names checked against the directory's schema; the role Pirates takes the group already there", async () => {
  const applied = await runTallyCli(env, ['apply', '-f', sampleForSlapd(), '--json']);
  expect(applied).toMatchObject({ code: 0, stderr: '' });
  const result = JSON.parse(applied.stdout) as { stored: Array<{ kind: string; name: string; change: string }>; unchecked: string[]; liveSyncs: Array<{ workflowId: string }> };
  expect(result.stored.map((s) => `${s.kind} ${s.name} ${s.change}`).sort()).toEqual(['Resource Localhost OpenLDAP created', 'Role Pirates created']);
  expect(result.unchecked).toEqual([]);
  expect(result.liveSyncs.map((l) => l.workflowId)).toEqual([workflowIds.liveSync(RESOURCE_OID)]);

  await tally.services.client.workflow.getHandle(workflowIds.provisionRole(PIRATES_ROLE_OID)).result();
  const role = await tally.inspect.roles.findOne({ _id: PIRATES_ROLE_OID } as never);
  const [groupShadow] = await tally.inspect.shadows.find({ resourceRef: RESOURCE_OID, kind: 'entitlement' });
  expect(String(groupShadow?.secondaryIdentifier).toLowerCase()).toBe(PIRATES.toLowerCase());
  expect(role?.linkRef).toEqual([groupShadow._id]);
  expect(await members(PIRATES)).toEqual([person('cptjack'), person('will')].map((m) => m.toLowerCase()));
}, 120_000);

test('an import makes a user of every account, protects the administrator entry and reads no group or service entry as an account', async () => {
  const idmBefore = await entry(IDM);
  const run = await cliJson<{ summary: RunSummary }>('import', RESOURCE, '--wait');
  expect(run.summary.errors).toBe(0);
  expect(run.summary.lastErrors).toEqual([]);
  expect(await userNames()).toEqual(['barbossa', 'cptjack', 'jbond', 'will']);
  const jack = (await users()).find((u) => u.name === 'cptjack');
  expect(jack).toMatchObject({ fullName: 'cpt. Jack Sparrow', givenName: 'Jack', familyName: 'Sparrow' });

  const accounts = (await shadows()).filter((s) => s.kind === 'account');
  expect(accounts.map((s) => String(s.secondaryIdentifier).toLowerCase()).sort()).toEqual(
    [person('barbossa'), person('cptjack'), IDM, person('jbond'), person('will')].map((dn) => dn.toLowerCase()).sort(),
  );
  const idm = accounts.find((s) => String(s.secondaryIdentifier).toLowerCase() === IDM.toLowerCase())!;
  expect(idm.protectedObject).toBe(true);
  expect(idm.ownerRef ?? null).toBeNull();
  expect(await entry(IDM)).toEqual(idmBefore);
}, 180_000);

test('hand changes reach Tally through live sync, a role assignment adds a member, and a reconciliation finds nothing failed', async () => {
  await cli('user', 'assign', 'barbossa', 'Pirates', '--wait');
  expect(await members(PIRATES)).toContain(person('barbossa').toLowerCase());

  await admin.modify(person('cptjack'), [change('replace', 'cn', ['Captain Jack Sparrow'])]);
  await admin.modify(PIRATES, [change('replace', 'description', ['Yo ho, yo ho']), change('delete', 'member', [person('will')])]);
  await admin.modify(IDM, [change('replace', 'description', ['The IDM, touched by hand'])]);
  await admin.add(person('elaine'), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'elaine', cn: 'Elaine Marley', sn: 'Marley', givenName: 'Elaine' });
  await admin.del(person('jbond'));
  await admin.modify(PIRATES, [change('add', 'member', [person('elaine')])]);
  const idmAfterHand = await entry(IDM);

  await eventually(userNames, (names) => names.join() === 'barbossa,cptjack,elaine,will', 'elaine in, jbond out', 60_000);
  await eventually(async () => (await users()).find((u) => u.name === 'cptjack')?.fullName, (n) => n === 'Captain Jack Sparrow', "cptjack's new cn", 30_000);
  await liveSyncSettled();
  const synced = await liveSync();
  expect(synced.lastErrors).toEqual([]);

  // A user made in Tally gets his account in the sample's place for it (ou=PeOpLe) and, by the role, the group.
  await cli('user', 'create', 'elizabeth', 'givenName=Elizabeth', 'familyName=Swann', 'fullName=Elizabeth Swann', '--assign', 'Pirates', '--wait');
  expect(await entry(person('elizabeth'))).toMatchObject({ uid: 'elizabeth', cn: 'Elizabeth Swann', sn: 'Swann' });
  // The sample's activation: a disabled user's account says so (businessCategory here), read back as his.
  await cli('user', 'set', 'will', 'activation/administrativeStatus=disabled', '--wait');
  expect((await entry(person('will')))?.businessCategory).toBe('disabled');
  // A change reported by hand (processChange): an account's is done; a group's is no account's.
  expect(await cli('change', RESOURCE, person('will'), '--wait')).toMatch(/linked/);
  const group = await runTallyCli(env, ['change', RESOURCE, PIRATES, '--wait']);
  const groupShadows = await tally.inspect.shadows.find({ resourceRef: RESOURCE_OID, kind: 'entitlement' });
  expect(groupShadows.map((g) => ({ name: String(g.secondaryIdentifier).toLowerCase(), exists: g.exists, dead: g.dead, owner: g.ownerRef }))).toEqual([
    { name: PIRATES.toLowerCase(), exists: true, dead: false, owner: PIRATES_ROLE_OID },
  ]);
  expect(group).toMatchObject({ code: 1, stderr: expect.stringContaining(`no account ${PIRATES}`) });

  const recon = await cliJson<{ summary: RunSummary }>('reconcile', RESOURCE, '--wait');
  expect(recon.summary.errors).toBe(0);
  expect(recon.summary.lastErrors).toEqual([]);
  await liveSyncSettled();

  // Nothing failed anywhere: runs, live sync, tally status, every change's workflow.
  const runs = await cliJson<Array<{ type: string; state: string; errors: unknown[]; stats: Record<string, number> }>>('runs', RESOURCE);
  expect(runs.map((r) => [r.type, r.state, r.stats.errors ?? 0, r.errors.length])).toEqual([
    ['recon', 'finished', 0, 0],
    ['import', 'finished', 0, 0],
  ]);
  const [listed] = await cliJson<LiveSyncListing[]>('livesync', 'status', RESOURCE);
  expect(listed.status).toMatchObject({ state: 'polling', lastErrors: [] });
  const ours = new Set([RESOURCE_OID, PIRATES_ROLE_OID, ...(await users()).map((u) => String(u._id))]);
  const stuck = (await cliJson<StuckOperation[]>('status')).filter((s) => [...ours].some((oid) => s.resource === oid || s.user === oid || s.workflowId.includes(oid)));
  expect(stuck).toEqual([]);
  const processChanges = async () => {
    const found: Array<[string, string]> = [];
    const query = `TaskQueue = '${tally.settings.TALLY_TASK_QUEUE}' AND WorkflowType = 'processChange'`;
    for await (const run of tally.services.client.workflow.list({ query })) found.push([run.workflowId, run.status.name]);
    return found;
  };
  const changes = await eventually(processChanges, (found) => found.some(([id]) => id.toLowerCase().includes(person('will').toLowerCase())), "will's processChange listed", 15_000);
  expect(changes.filter(([, status]) => status !== 'COMPLETED')).toEqual([]);

  // The administrator entry: never linked, never changed by Tally; no group became an account or a user.
  expect(await entry(IDM)).toEqual(idmAfterHand);
  const accounts = (await shadows()).filter((s) => s.kind === 'account');
  const idm = accounts.find((s) => String(s.secondaryIdentifier).toLowerCase() === IDM.toLowerCase())!;
  expect(idm).toMatchObject({ protectedObject: true });
  expect(idm.ownerRef ?? null).toBeNull();
  expect(accounts.filter((s) => /^cn=/i.test(String(s.secondaryIdentifier)))).toEqual([]);
  expect(await userNames()).toEqual(['barbossa', 'cptjack', 'elaine', 'elizabeth', 'will']);
  expect(await members(PIRATES)).toEqual([person('barbossa'), person('cptjack'), person('elaine'), person('elizabeth')].map((m) => m.toLowerCase()).sort());
  expect((await entry(person('cptjack')))?.cn).toBe('Captain Jack Sparrow');
  expect((await entry(person('will')))?.businessCategory).toBe('disabled');
  expect((await users()).find((u) => u.name === 'will')?.activation).toMatchObject({ administrativeStatus: 'disabled' });
}, 300_000);

test("the role's group deleted by hand: live sync takes it for no account, and the reconciliation makes it again with the role's holders, nothing failed", async () => {
  await admin.del(PIRATES);
  await liveSyncSettled();
  expect((await liveSync()).lastErrors).toEqual([]);
  expect(await userNames()).toEqual(['barbossa', 'cptjack', 'elaine', 'elizabeth', 'will']);

  const recon = await cliJson<{ summary: RunSummary }>('reconcile', RESOURCE, '--wait');
  expect(recon.summary.errors).toBe(0);
  expect(recon.summary.lastErrors).toEqual([]);
  expect(await entry(PIRATES)).toMatchObject({ cn: 'Pirates', description: 'Arrrrr!' });
  // The holders of the role (not those who were members by hand) are its members again.
  await eventually(() => members(PIRATES), (m) => m.join() === [person('barbossa'), person('elizabeth')].map((d) => d.toLowerCase()).sort().join(), 'the holders back in the group', 30_000);
  const groupShadows = await tally.inspect.shadows.find({ resourceRef: RESOURCE_OID, kind: 'entitlement', dead: false });
  expect(groupShadows.map((g) => ({ name: String(g.secondaryIdentifier).toLowerCase(), exists: g.exists, owner: g.ownerRef }))).toEqual([
    { name: PIRATES.toLowerCase(), exists: true, owner: PIRATES_ROLE_OID },
  ]);
  await liveSyncSettled();
  const ours = new Set([RESOURCE_OID, PIRATES_ROLE_OID, ...(await users()).map((u) => String(u._id))]);
  const stuck = (await cliJson<StuckOperation[]>('status')).filter((s) => [...ours].some((oid) => s.resource === oid || s.user === oid || s.workflowId.includes(oid)));
  expect(stuck).toEqual([]);
}, 240_000);

test("more hand changes: a new group is no account, an account disabled by hand disables its user, a name taken by an entry that is no account makes the next one (iteration)", async () => {
  await admin.add(`cn=Navy,ou=Groups,${SUFFIX}`, { objectClass: ['top', 'groupOfNames'], cn: 'Navy', member: person('cptjack') });
  await admin.modify(person('barbossa'), [change('add', 'businessCategory', ['disabled'])]);
  // uid=anne is taken by an entry of another class (no inetOrgPerson: no account).
  await admin.add(person('anne'), { objectClass: ['top', 'person', 'uidObject'], uid: 'anne', cn: 'anne', sn: 'Not an account' });
  const taken = await entry(person('anne'));

  await eventually(async () => (await users()).find((u) => u.name === 'barbossa')?.activation?.administrativeStatus, (s) => s === 'disabled', "barbossa's status", 30_000);
  await cli('user', 'create', 'anne', 'givenName=Anne', 'familyName=Bonny', 'fullName=Anne Bonny', '--assign', 'Pirates', '--wait');
  const anne1 = `uid=anne1,ou=PeOpLe,${SUFFIX}`;
  await eventually(() => entry(anne1), (e) => e !== undefined, "anne's account under the next name", 30_000);
  expect(await entry(anne1)).toMatchObject({ uid: 'anne1', cn: 'Anne Bonny' });
  expect(await members(PIRATES)).toContain(anne1.toLowerCase());
  expect(await entry(person('anne'))).toEqual(taken);
  await liveSyncSettled();

  expect((await liveSync()).lastErrors).toEqual([]);
  expect(await userNames()).toEqual(['anne', 'barbossa', 'cptjack', 'elaine', 'elizabeth', 'will']);
  const accounts = (await shadows()).filter((s) => s.kind === 'account' && !s.dead);
  expect(accounts.filter((s) => /^cn=|uid=anne,/i.test(String(s.secondaryIdentifier)))).toEqual([]);
  const ours = new Set([RESOURCE_OID, PIRATES_ROLE_OID, ...(await users()).map((u) => String(u._id))]);
  const stuck = (await cliJson<StuckOperation[]>('status')).filter((s) => [...ours].some((oid) => s.resource === oid || s.user === oid || s.workflowId.includes(oid)));
  expect(stuck).toEqual([]);
}, 240_000);
