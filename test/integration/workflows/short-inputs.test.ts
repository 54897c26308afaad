/**
 * Workflows started with the short inputs people type in the Temporal UI (names instead of oids, the
 * channel defaulted), through the Temporal client, do what the long shapes do; the long shapes still work.
 */
import { Client as LdapClient } from 'ldapts';
import { applyConfig } from '../../../src/admin/apply-config';
import type { ChangeOutcome } from '../../../src/sync/synchronize-change';
import type { ProvisionAccountResult } from '../../../src/workflows/provision-account';
import type { ProvisionUserResult } from '../../../src/workflows/provision-user';
import type { DeleteUserResult } from '../../../src/workflows/delete-user';
import { searchAttributes } from '../../../src/workflows/workflow-ids';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP = 'OpenDJ LDAP directory';
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';

let tally: TallyHarness;
let resources: ExampleResources;
let ou: string;
const dn = (uid: string) => `uid=${uid},ou=${ou},dc=example,dc=com`;

async function run<T>(workflowType: string, input: unknown): Promise<{ result: T; workflowId: string }> {
  const workflowId = `short-${workflowType}-${Math.random().toString(36).slice(2)}`;
  const handle = await tally.services.client.workflow.start(workflowType, { taskQueue: tally.settings.TALLY_TASK_QUEUE, workflowId, args: [input] });
  return { result: (await handle.result()) as T, workflowId };
}

beforeAll(async () => {
  tally = await startTally('short-inputs');
  resources = await exampleResources(tally.stack, `short_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`);
  ({ ou } = resources);
  await resources.ldap.add(dn('gibbs'), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'gibbs', cn: 'Joshamee Gibbs', sn: 'Gibbs', givenName: 'Joshamee' });
  await applyConfig(tally.services.repo, tally.services.key, resources.examplesWithoutUsers);
}, 120_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test('processChange { resource: <name>, account: <DN> }: the channel defaults to user; the result says what happened', async () => {
  const { result } = await run<ChangeOutcome[]>('processChange', { resource: LDAP, account: dn('gibbs') });
  expect(result).toHaveLength(1);
  expect(result[0]).toMatchObject({
    found: true,
    account: dn('gibbs'),
    resource: LDAP,
    situation: 'unmatched',
    actions: ['addFocus: user gibbs created'],
    summary: expect.stringMatching(new RegExp(`^${dn('gibbs')}: unmatched: addFocus: user gibbs created; accounts: .*: done \\(add done\\)`)),
  });
  const user = await tally.services.repo.users.byRef('gibbs');
  expect(user).toMatchObject({ fullName: 'Joshamee Gibbs', metadata: { createChannel: 'user' } });
}, 120_000);

test('processChange { resource: <oid>, primaryIdentifier } finds the same account; an unknown account says so in the result', async () => {
  const shadow = (await tally.services.repo.shadows.byIdentifiers(LDAP_OID, { secondaryIdentifier: dn('gibbs') }))!;
  const { result } = await run<ChangeOutcome[]>('processChange', { resource: LDAP_OID, primaryIdentifier: shadow.primaryIdentifier, changeType: 'modify', channel: 'api' });
  expect(result[0]).toMatchObject({ found: true, shadowOid: shadow.oid, situation: 'linked', actions: [], summary: `${dn('gibbs')}: linked: no reaction` });

  const missing = await run<ChangeOutcome[]>('processChange', { resource: LDAP, account: dn('nobody') });
  expect(missing.result[0]).toMatchObject({ found: false, shadowOid: null, summary: `no account ${dn('nobody')} on resource ${LDAP}` });
}, 120_000);

test('provisionUser { user: <name> } and { user: <oid> } recompute the user; the long shape still works', async () => {
  const user = (await tally.services.repo.users.byRef('gibbs'))!;
  for (const input of [{ user: 'gibbs' }, { user: user.oid }, { userOid: user.oid }]) {
    const { result, workflowId } = await run<ProvisionUserResult>('provisionUser', input);
    expect({ input, recomputations: result.recomputations }).toEqual({ input, recomputations: 1 });
    const described = await tally.services.client.workflow.getHandle(workflowId).describe();
    expect(described.typedSearchAttributes.get(searchAttributes.user)).toBe(user.oid);
  }
}, 120_000);

test('provisionAccount { shadow: <oid> } works on that shadow', async () => {
  const shadow = (await tally.services.repo.shadows.byIdentifiers(LDAP_OID, { secondaryIdentifier: dn('gibbs') }))!;
  const { result, workflowId } = await run<ProvisionAccountResult>('provisionAccount', { shadow: shadow.oid });
  expect(result).toEqual({ done: 0, failed: [], gaveUp: false });
  const described = await tally.services.client.workflow.getHandle(workflowId).describe();
  expect(described.typedSearchAttributes.get(searchAttributes.shadow)).toBe(shadow.oid);
  expect(described.typedSearchAttributes.get(searchAttributes.resource)).toBe(LDAP_OID);
}, 120_000);

test('deleteUser { user: <name> } deletes that user: his MyLittleAD account (the template gave it) is deleted, his LDAP account (no assignment gave it) unlinked and kept', async () => {
  const user = (await tally.services.repo.users.byRef('gibbs'))!;
  const { result, workflowId } = await run<DeleteUserResult>('deleteUser', { user: 'gibbs' });
  expect(result.state).toBe('deleted');
  expect(result.accounts.map((a) => [a.resource, a.action, a.state]).sort()).toEqual([['MyLittleAD', 'delete', 'done'], [LDAP, 'unlink', 'done']]);
  expect(await tally.services.repo.users.get(user.oid)).toBeNull();
  const described = await tally.services.client.workflow.getHandle(workflowId).describe();
  expect(described.typedSearchAttributes.get(searchAttributes.user)).toBe(user.oid);
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    const { searchEntries } = await ldap.search(`ou=${ou},dc=example,dc=com`, { filter: '(uid=gibbs)' });
    expect(searchEntries.map((e) => e.dn)).toEqual([dn('gibbs')]);
  } finally {
    await ldap.unbind();
  }
}, 120_000);
