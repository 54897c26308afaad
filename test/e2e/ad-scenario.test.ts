/**
 * Active Directory end to end, on a private Samba AD DC: a role gives a user an AD account (created over
 * LDAPS from examples/ad/ad.yaml, its DN mapping made normal so that renames move it) and membership of a
 * group; disabling and enabling him flips the account's ACCOUNTDISABLE bit alone; his password reaches
 * unicodePwd (a bind as him proves it); reconciliation finds the account deleted behind Tally's back; live
 * sync brings an administrator's change on AD to him, passes over Tally's own writes, and links him again
 * to an account deleted and re-created on AD; renaming him renames the account (modifyDN); a role with a
 * group of its own creates it on AD, its holders its members; unassigning the role deletes the account.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attribute, Change } from 'ldapts';
import { liveSyncStatuses, startLiveSync } from '../../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../../src/admin/resource-runs';
import { assignToUser, setUserProperties, unassignFromUser, type UserCommandResult } from '../../src/admin/user-commands';
import { adResourceYaml, bindsToSamba, SAMBA_ADMIN_PASSWORD, startTestSamba, withSambaAdmin } from '../support/samba';
import { applyAndProvision, startTally, eventually, type TallyHarness } from '../support/tally-harness';

const PASSWORD = 'Parley-4-Tortuga!';
const DONT_EXPIRE_PASSWORD = 0x10000;
const NORMAL_ACCOUNT = 0x200;
const ACCOUNTDISABLE = 0x2;

let samba: Awaited<ReturnType<typeof startTestSamba>>;
let tally: TallyHarness;
const WILL_OID = 'c0c010c0-ad00-4000-8000-00000000000a';
const GUNNERS_OID = 'c0c010c0-ad00-4000-8000-00000000000b';
let willOid: string;
let config: string;
/** His name, and his account's CN, until the rename. */
let willName = 'will';
const willDn = () => `CN=${willName},${samba.server.peopleDn}`;
const piratesDn = () => `CN=pirates,${samba.server.groupsDn}`;

const role = (groupDn: string) => `kind: Role
name: AD user
inducement:
  - construction:
      resourceRef: Active Directory
      association:
        - ref: ri:group
          targets: ["${groupDn}"]
`;
const will = (name: string) => `kind: User
oid: ${WILL_OID}
name: ${name}
fullName: Will Turner
givenName: Will
familyName: Turner
assignment:
  - targetRef: AD user
`;


const entry = (dn: string) =>
  withSambaAdmin(samba.server, async (c) => (await c.search(dn, { scope: 'base', attributes: ['*'] }).catch(() => ({ searchEntries: [] }))).searchEntries[0] ?? null);
const uac = async (dn: string) => Number((await entry(dn))?.userAccountControl);

const bindsAs = (dn: string, password: string) => bindsToSamba(samba.server, dn, password);

async function provisioned(result: Promise<UserCommandResult>): Promise<void> {
  const { provisioningWorkflowId } = await result;
  if (provisioningWorkflowId) await tally.services.client.workflow.getHandle(provisioningWorkflowId).result();
}

beforeAll(async () => {
  samba = await startTestSamba();
  tally = await startTally('ad', { env: { TALLY_AD_PASSWORD: SAMBA_ADMIN_PASSWORD } });
  await withSambaAdmin(samba.server, (c) => c.add(piratesDn(), { objectClass: ['top', 'group'], sAMAccountName: 'pirates' }));
  config = mkdtempSync(path.join(tmpdir(), 'tally-ad-config-'));
  // The example's DN mapping is weak (names stay); a normal one renames the account with its user.
  const resource = adResourceYaml(samba.server).replace(/(- ref: icfs:name {2,}# the DN\n\s+outbound:\n\s+strength: )weak/, '$1normal');
  expect(resource).toMatch(/ref: icfs:name .*\n\s+outbound:\n\s+strength: normal/);
  for (const [folder, file, text] of [['resources', 'ad.yaml', resource], ['roles', 'ad-user.yaml', role(piratesDn())], ['users', 'will.yaml', will('will')]]) {
    mkdirSync(path.join(config, folder), { recursive: true });
    writeFileSync(path.join(config, folder, file), text);
  }
  await applyAndProvision(tally.services, [path.join(config, 'resources'), path.join(config, 'roles'), path.join(config, 'users')]);
  willOid = (await tally.services.repo.users.byRef('will'))!.oid;
}, 180_000);

afterAll(async () => {
  await tally?.stop();
  await samba?.close();
});

const members = async (groupDn: string) => [(await entry(groupDn))?.member ?? []].flat();
/** The groups listing the account, by their DNs. */
const groupsOf = (dn: string) =>
  withSambaAdmin(samba.server, async (c) => (await c.search(samba.server.groupsDn, { scope: 'one', filter: `(member=${dn})`, attributes: ['1.1'] })).searchEntries.map((e) => e.dn).sort());

test('a role gives the user an AD account, enabled, named as AD users expect, member of the role\'s group', async () => {
  const account = await entry(willDn());
  expect(await members(piratesDn())).toEqual([willDn()]);
  expect(account).toMatchObject({ sAMAccountName: 'will', userPrincipalName: 'will@tally.test', displayName: 'Will Turner', givenName: 'Will', sn: 'Turner' });
  expect(Number(account!.userAccountControl) & ACCOUNTDISABLE).toBe(0);
  const [shadow] = await tally.services.repo.shadows.ofOwner(willOid);
  expect(shadow).toMatchObject({ exists: true, pendingOperations: [] });
  expect(shadow.primaryIdentifier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});

test('disabling and enabling the user changes only the ACCOUNTDISABLE bit of userAccountControl', async () => {
  // An administrator's own bit, which Tally must leave as it is.
  const own = (await uac(willDn())) | DONT_EXPIRE_PASSWORD;
  await withSambaAdmin(samba.server, (c) => c.modify(willDn(), new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(own)] }) })));

  await provisioned(setUserProperties(tally.services, 'will', { activation: { administrativeStatus: 'disabled' } }, 'user'));
  expect(await uac(willDn())).toBe(own | ACCOUNTDISABLE);
  await provisioned(setUserProperties(tally.services, 'will', { activation: { administrativeStatus: 'enabled' } }, 'user'));
  expect(await uac(willDn())).toBe(own & ~ACCOUNTDISABLE);
  expect(own & NORMAL_ACCOUNT).toBe(NORMAL_ACCOUNT);
});

test("the user's validTo reaches accountExpires as AD counts (100 ns since 1601), and AD's never without one", async () => {
  expect((await entry(willDn()))?.accountExpires).toBe('9223372036854775807');
  await provisioned(setUserProperties(tally.services, 'will', { activation: { validTo: '2099-06-30T18:00:00Z' } }, 'user'));
  // 2099-06-30T18:00:00Z is 4,086,525,600 s after 1970, and 1970 is 11,644,473,600 s after 1601.
  expect((await entry(willDn()))?.accountExpires).toBe(String((4_086_525_600n + 11_644_473_600n) * 10_000_000n));
  await provisioned(setUserProperties(tally.services, 'will', { activation: { validTo: null } }, 'user'));
  expect((await entry(willDn()))?.accountExpires).toBe('9223372036854775807');
});

test("the user's password reaches unicodePwd over LDAPS: a bind as the user works with it", async () => {
  expect(await bindsAs(willDn(), PASSWORD)).toBe(false);
  await provisioned(setUserProperties(tally.services, 'will', { credentials: { password: { value: PASSWORD } } }, 'user'));
  expect(await bindsAs(willDn(), PASSWORD)).toBe(true);
  expect(JSON.stringify(await tally.inspect.shadows.find({ ownerRef: willOid }))).not.toContain(PASSWORD);
});

test("reconciliation finds the account deleted behind Tally's back and, as the role still asks for it, creates it again in its group", async () => {
  const [before] = await tally.services.repo.shadows.ofOwner(willOid);
  await withSambaAdmin(samba.server, (c) => c.del(willDn()));
  const started = await startResourceRun(tally.services, { type: 'recon', resource: 'Active Directory' });
  const summary = await waitForRun(tally.services, started.workflowId, () => undefined, 200);
  expect(summary.stats).toMatchObject({ deleted: 1 });
  expect(summary.errors).toBe(0);
  await eventually(() => tally.services.repo.shadows.ofOwner(willOid), (s) => s.length === 1 && s[0].exists && s[0].oid !== before.oid, "will's account created again");
  expect(await tally.services.repo.shadows.get(before.oid)).toMatchObject({ exists: false, ownerRef: null, situation: 'deleted' });
  expect(await entry(willDn())).toMatchObject({ sAMAccountName: 'will' });
  expect(await members(piratesDn())).toEqual([willDn()]);
});

test("live sync brings an administrator's change on AD to the user (uSNChanged polling)", async () => {
  await startLiveSync(tally.services, 'Active Directory', { intervalMs: 300 });
  // Its first poll takes the changelog's end as where it starts: the change must come after.
  await eventually(() => liveSyncStatuses(tally.services, 'Active Directory'), ([s]) => (s?.status?.polls ?? 0) >= 1, 'live sync of AD polling');
  await withSambaAdmin(samba.server, (c) => c.modify(willDn(), new Change({ operation: 'replace', modification: new Attribute({ type: 'givenName', values: ['William'] }) })));
  await eventually(() => tally.services.repo.users.byRef('will'), (u) => u?.givenName === 'William', "will's givenName from AD");
});

test('an account deleted and re-created on AD (a new objectGUID) is linked to the user again by correlation on sAMAccountName', async () => {
  const [before] = await tally.services.repo.shadows.ofOwner(willOid);
  await withSambaAdmin(samba.server, async (c) => {
    await c.del(willDn());
    await c.add(willDn(), { objectClass: ['top', 'person', 'organizationalPerson', 'user'], sAMAccountName: 'will' });
  });
  // The delete and the add are two changes, handled each on its own: wait for both.
  const relinked = await eventually(
    () => tally.services.repo.shadows.ofOwner(willOid),
    (shadows) => shadows.length === 1 && shadows[0].exists && shadows[0].primaryIdentifier !== before.primaryIdentifier,
    "will linked to his new account only",
  );
  expect((await tally.services.repo.users.byRef('will'))!.linkRef).toEqual([relinked[0].oid]);
  const old = await tally.inspect.shadows.findOne({ oid: before.oid });
  expect(old === null || old.exists === false || old.dead === true).toBe(true);
});

test("live sync passes over Tally's own write to the account, and takes an administrator's change right after", async () => {
  const status = async () => (await liveSyncStatuses(tally.services, 'Active Directory'))[0].status!;
  const before = await status();
  await provisioned(setUserProperties(tally.services, willOid, { fullName: 'Will Turner the Younger' }, 'user'));
  expect((await entry(willDn()))?.displayName).toBe('Will Turner the Younger');
  const written = await status();
  await eventually(status, (s) => s.polls >= written.polls + 2, 'two polls after the write');
  expect((await status()).changes).toBe(before.changes);

  await withSambaAdmin(samba.server, (c) => c.modify(willDn(), new Change({ operation: 'replace', modification: new Attribute({ type: 'sn', values: ['Turner-Swann'] }) })));
  await eventually(() => tally.services.repo.users.byRef(willOid), (u) => u?.familyName === 'Turner-Swann', "will's familyName from AD");
  expect((await status()).changes).toBe(before.changes + 1);
});

test('renaming the user renames his AD account (modifyDN): the same objectGUID, the new name in its DN, sAMAccountName and userPrincipalName', async () => {
  const [before] = await tally.services.repo.shadows.ofOwner(willOid);
  const groupsBefore = await groupsOf(willDn());
  writeFileSync(path.join(config, 'users', 'will.yaml'), will('wturner'));
  await applyAndProvision(tally.services, [path.join(config, 'users')]);
  willName = 'wturner';
  expect(await entry(willDn())).toMatchObject({ sAMAccountName: 'wturner', userPrincipalName: 'wturner@tally.test' });
  expect(await entry(`CN=will,${samba.server.peopleDn}`)).toBeNull();
  const [after] = await eventually(() => tally.services.repo.shadows.ofOwner(willOid), (s) => s[0]?.secondaryIdentifier === willDn(), 'the shadow renamed');
  expect(after).toMatchObject({ oid: before.oid, primaryIdentifier: before.primaryIdentifier });
  // AD keeps the group's member value pointing at the object as it moves.
  expect(await groupsOf(willDn())).toEqual(groupsBefore);
});

test("a role with a group of its own creates the group on AD; the role's holders are its members", async () => {
  const gunnersDn = `CN=Gunners,${samba.server.groupsDn}`;
  writeFileSync(
    path.join(config, 'roles', 'gunners.yaml'),
    `kind: Role
oid: ${GUNNERS_OID}
name: Gunners
description: Those who fire the cannons
assignment:
  - construction: { resourceRef: Active Directory, kind: entitlement, intent: group }
inducement:
  - construction:
      resourceRef: Active Directory
      association:
        - ref: ri:group
          associationFromLink: {}
`,
  );
  const applied = await applyAndProvision(tally.services, [path.join(config, 'roles')]);
  for (const { roleOid, removedAssignments } of applied.rolesToProvision) {
    await tally.services.workflows.requestRoleProvisioning({ roleOid, channel: 'user', removedAssignments });
  }
  const group = await eventually(() => entry(gunnersDn), (e) => e !== null, "the role's group on AD");
  expect(group).toMatchObject({ sAMAccountName: 'Gunners', description: 'Those who fire the cannons' });
  const [shadow] = await eventually(() => tally.services.repo.shadows.ofOwner(GUNNERS_OID), (s) => s[0]?.exists === true, "the group's shadow");
  expect(shadow).toMatchObject({ kind: 'entitlement', intent: 'group', primaryIdentifier: expect.stringMatching(/^[0-9a-f-]{36}$/) });

  await provisioned(assignToUser(tally.services, willOid, { role: 'Gunners' }, 'user'));
  await eventually(() => members(gunnersDn), (m) => m.length === 1 && String(m[0]).toLowerCase() === willDn().toLowerCase(), 'will a member of Gunners');
});

test('unassigning the role deletes the AD account, and the group lists him no more', async () => {
  await provisioned(unassignFromUser(tally.services, willOid, { role: 'Gunners' }, 'user'));
  await provisioned(unassignFromUser(tally.services, willOid, { role: 'AD user' }, 'user'));
  await eventually(() => entry(willDn()), (e) => e === null, "will's AD account deleted");
  expect(await members(piratesDn())).toEqual([]);
});
