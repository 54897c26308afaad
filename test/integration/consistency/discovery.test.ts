/**
 * Discovery on a private slapd: an add that finds the account already there (the owner's: linked and
 * modified; someone else's: the name is iterated, up to maxIterations), a modify that finds the account
 * gone (still assigned: re-created; not required: the shadow is dropped).
 */
import { linkShadow } from '../../../src/provisioning';
import { observeResourceObject } from '../../../src/sync/observe';
import type { ShadowDoc } from '../../../src/schema/objects';
import type { ProvisionUserResult } from '../../../src/workflows/provision-user';
import { eventually } from '../../support/tally-harness';
import { accesslogFor, ldapEntries, startOutageStack, userYaml, type OutageStack } from './outage-stack';

let s: OutageStack;

beforeAll(async () => {
  s = await startOutageStack('discovery', { initialInterval: '500ms', maximumInterval: '2s', livenessCheckInterval: '500ms', maxIterations: 2 });
}, 120_000);

afterAll(async () => {
  await s?.close();
});

async function addEntry(uid: string, attributes: Record<string, string>): Promise<void> {
  await s.ldap((c) =>
    c.add(s.dnOf(uid), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid, sn: uid, cn: uid, ...attributes }),
  );
}

/** Makes an existing entry someone else's: its shadow is linked to `owner` (a user without assignments). */
async function ownedBy(uid: string, owner: string): Promise<void> {
  const user = await s.services.repo.users.byRef(owner);
  const seen = await observeResourceObject(s.services.syncDeps, { resourceRef: s.resourceOid, channel: 'api', changeType: 'unknown', secondaryIdentifier: s.dnOf(uid) });
  await linkShadow(s.services, seen.shadowOid!, user!.oid, new Date().toISOString());
}

async function settledShadow(user: string): Promise<ShadowDoc> {
  const [shadow] = await eventually(
    () => s.shadowsOf(user),
    (list) => list.length === 1 && list[0].pendingOperations.length === 0 && (list[0].exists || !!list[0].lastFailedOperation),
    `${user}'s account settled`,
  );
  return shadow;
}

test('add finds the owner\'s account already there: the shadow links it and the add becomes a modify to the computed values', async () => {
  await addEntry('will', { cn: 'Old Will', sn: 'Turner' });
  await s.applyAndProvision(userYaml(s.resourceOid, 'will', 'Will Turner'));
  const shadow = await settledShadow('will');
  const entries = await ldapEntries(s, '(uid=will*)');
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ dn: s.dnOf('will'), cn: 'Will Turner', givenName: 'Will', description: 'Created by IDM' });
  expect(shadow).toMatchObject({ exists: true, primaryIdentifier: entries[0].entryUUID, situation: 'linked' });
  expect((await s.services.repo.users.byRef('will'))!.linkRef).toEqual([shadow.oid]);
  // One add (ours, outside Tally), then Tally's modify: no second add.
  expect((await accesslogFor(s, s.dnOf('will'))).map((r) => r.reqType)).toEqual(['add', 'modify']);
  // Done at once by the user's provisioning, discovery included: nothing had to wait.
  const result = (await s.services.client.workflow.getHandle(`user:${shadow.ownerRef}`).result()) as ProvisionUserResult;
  expect(result.handedOver).toEqual([]);
  // An add that found the account and linked it says so: linked, and the planned add reads link.
  expect(result.accounts).toEqual([expect.stringMatching(/: linked \(discovery after add \(already-exists\): .*linked.*; modify done\)$/)]);
  expect(result.accountOperations.map((op) => op.action)).toEqual(['link']);
});

test('add finds someone else\'s account: the name is iterated (anne -> anne1) and the other account stays untouched', async () => {
  // bonny's recompute is over before the account is linked to her (it would rename it to uid=bonny).
  await s.applyAndProvision(userYaml(s.resourceOid, 'bonny', 'Bonny Pirate', false), { wait: true });
  await addEntry('anne', { cn: 'Not Anne' });
  await ownedBy('anne', 'bonny');
  await s.applyAndProvision(userYaml(s.resourceOid, 'anne', 'Anne Bonny'));
  const shadow = await settledShadow('anne');
  expect(shadow).toMatchObject({ exists: true, secondaryIdentifier: s.dnOf('anne1'), iteration: 1, iterationToken: '1' });
  const [mine] = await ldapEntries(s, '(cn=Anne Bonny)');
  expect(mine).toMatchObject({ dn: s.dnOf('anne1'), entryUUID: shadow.primaryIdentifier });
  const [theirs] = await ldapEntries(s, `(entryUUID=${(await s.shadowsOf('bonny'))[0].primaryIdentifier})`);
  expect(theirs).toMatchObject({ dn: s.dnOf('anne'), cn: 'Not Anne' });
  expect((await accesslogFor(s, s.dnOf('anne'))).map((r) => r.reqType)).toEqual(['add']);
});

test('add gives up with a clear failure after maxIterations names are all taken', async () => {
  for (const uid of ['hector', 'hector1', 'hector2']) {
    await addEntry(uid, { cn: `taken ${uid}` });
    await ownedBy(uid, 'bonny');
  }
  await s.applyAndProvision(userYaml(s.resourceOid, 'hector', 'Hector Barbossa'));
  const shadow = await settledShadow('hector');
  expect(shadow.exists).toBe(false);
  expect(shadow.lastFailedOperation).toMatchObject({ type: 'add', result: { status: 'fatal-error', errorKind: 'already-exists' } });
  expect(shadow.lastFailedOperation!.result.message).toBe(
    `${s.dnOf('hector2')} already exists on Outage LDAP ${s.resourceOid.slice(0, 8)} and is not this user's; no free name after 2 iteration(s)`,
  );
  const result = (await s.services.client.workflow.getHandle(`user:${(await s.services.repo.users.byRef('hector'))!.oid}`).result()) as ProvisionUserResult;
  expect(result.accounts[0]).toContain(shadow.lastFailedOperation!.result.message);
  expect((await ldapEntries(s, '(cn=Hector Barbossa)'))).toEqual([]);
});

test('modify finds the account deleted on the resource while an assignment still requires it: it is re-created with the projected values', async () => {
  await s.applyAndProvision(userYaml(s.resourceOid, 'isabel', 'Isabel Swan'));
  const before = await settledShadow('isabel');
  await s.ldap((c) => c.del(s.dnOf('isabel')));
  await s.applyAndProvision(userYaml(s.resourceOid, 'isabel', 'Isabel Swann'));
  const after = await eventually(
    () => s.services.repo.shadows.get(before.oid),
    (sh) => !!sh && sh.exists && sh.pendingOperations.length === 0 && sh.primaryIdentifier !== before.primaryIdentifier,
    "isabel's re-created account",
  );
  const [entry] = await ldapEntries(s, '(uid=isabel)');
  expect(entry).toMatchObject({ dn: s.dnOf('isabel'), cn: 'Isabel Swann', sn: 'Swann', entryUUID: after!.primaryIdentifier });
  expect((await accesslogFor(s, s.dnOf('isabel'))).map((r) => r.reqType)).toEqual(['add', 'delete', 'add']);
});

test('modify finds the account deleted and no assignment requires it: the shadow is deleted and unlinked', async () => {
  // jacob's account exists outside Tally and is linked by the synchronization routine (no assignment).
  await s.applyAndProvision(userYaml(s.resourceOid, 'jacob', 'Jacob Gold', false));
  await addEntry('jacob', { cn: 'Jacob Gold', sn: 'Gold', givenName: 'Jacob' });
  const changeWorkflowId = await s.services.workflows.reportChange({ resourceRef: s.resourceOid, channel: 'api', changeType: 'unknown', secondaryIdentifier: s.dnOf('jacob') });
  await s.services.client.workflow.getHandle(changeWorkflowId).result();
  const [linked] = await s.shadowsOf('jacob');
  expect(linked.situation).toBe('linked');

  await s.ldap((c) => c.del(s.dnOf('jacob')));
  await s.applyAndProvision(userYaml(s.resourceOid, 'jacob', 'Jacob Golden', false));
  await eventually(() => s.services.repo.shadows.get(linked.oid), (sh) => sh === null, "jacob's shadow dropped");
  expect((await s.services.repo.users.byRef('jacob'))!.linkRef).toEqual([]);
  expect(await ldapEntries(s, '(uid=jacob)')).toEqual([]);
});

test('an account operation stored but never executed (a crash in between) is finished by the next change of the account', async () => {
  await s.applyAndProvision(userYaml(s.resourceOid, 'stella', 'Stella Maris'), { wait: true });
  const shadow = await settledShadow('stella');
  // What a worker leaves when it dies right after storing the operation: queued, never tried, unclaimed.
  await s.services.repo.shadows.modify(shadow.oid, () => ({
    set: {
      pendingOperations: [
        { id: 'stranded-op', type: 'modify', delta: [{ path: 'description', replace: ['Finished after a crash'] }], attemptNumber: 0, requestTimestamp: new Date().toISOString(), result: { status: 'in-progress' } },
      ],
    },
  }));
  const changeWorkflowId = await s.services.workflows.reportChange({ resourceRef: s.resourceOid, channel: 'api', changeType: 'unknown', secondaryIdentifier: s.dnOf('stella') });
  const [outcome] = (await s.services.client.workflow.getHandle(changeWorkflowId).result()) as Array<{ changedUserPaths: string[]; handedOver: string[] }>;
  expect(outcome.changedUserPaths).toEqual([]);
  expect(outcome.handedOver).toEqual([shadow.oid]);
  await eventually(() => s.services.repo.shadows.get(shadow.oid), (sh) => sh?.pendingOperations.length === 0, "stella's stranded operation done");
  expect((await ldapEntries(s, '(uid=stella)'))[0]).toMatchObject({ description: 'Finished after a crash' });
});
