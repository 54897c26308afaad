/**
 * The delayed delete of an account disabled instead of deleted goes through provisioning: while the
 * resource is down, reconciliation's first phase leaves it as a postponed pending delete on the shadow,
 * and the account's provisionAccount workflow deletes it when the resource is back. A private slapd this
 * file stops and starts.
 */
import { completePendingOperations } from '../../../src/sync/reconciliation/operations-phase';
import { eventually } from '../../support/tally-harness';
import { ldapEntries, resourceYaml, SHORT_RETRIES, startOutageStack, userYaml, type OutageStack } from './outage-stack';

let s: OutageStack;

const disablingResource = (deleteAfter: string) =>
  resourceYaml(s.resourceOid, s.slapd.url, SHORT_RETRIES).replace(
    '\nsynchronization:\n',
    `\n      activation:\n        administrativeStatus: { attribute: businessCategory, disabledValue: disabled, outbound: { strength: normal } }\n` +
      `        deprovisioning: { action: disable, deleteAfter: ${deleteAfter} }\nsynchronization:\n`,
  );

beforeAll(async () => {
  s = await startOutageStack('delayed-delete');
}, 120_000);

afterAll(async () => {
  await s?.close();
});

test('a delayed delete while the resource is down waits as a pending delete, and is done when the resource is back', async () => {
  await s.applyAndProvision(disablingResource('1s'));
  await s.applyAndProvision(userYaml(s.resourceOid, 'tia', 'Tia Dalma'), { wait: true });
  await s.settled();
  // The file no longer assigns the account: it is disabled, not deleted.
  await s.applyAndProvision(userYaml(s.resourceOid, 'tia', 'Tia Dalma', false), { wait: true });
  await s.settled();
  const [shadow] = await s.shadowsOf('tia');
  expect(shadow).toMatchObject({ deprovisionedAt: expect.any(String), dead: false });
  expect(await ldapEntries(s, '(uid=tia)')).toEqual([expect.objectContaining({ businessCategory: 'disabled' })]);
  await new Promise((r) => setTimeout(r, 1_200));

  await s.slapd.stop();
  const phase = await completePendingOperations(s.services.syncDeps, { resourceOid: s.resourceOid });
  expect(phase.stats).toMatchObject({ disabledAccountsDeleted: 1 });
  expect(await s.services.repo.shadows.get(shadow!.oid)).toMatchObject({
    dead: true,
    ownerRef: null,
    pendingOperations: [expect.objectContaining({ type: 'delete', result: expect.objectContaining({ status: 'postponed' }) })],
  });
  // A second run meanwhile doesn't delete it twice: the shadow is dead, its delete pending.
  expect((await completePendingOperations(s.services.syncDeps, { resourceOid: s.resourceOid })).stats.disabledAccountsDeleted).toBeUndefined();

  await s.slapd.restart();
  await eventually(() => ldapEntries(s, '(uid=tia)'), (e) => e.length === 0, 'the entry deleted once the resource is back', 60_000);
  await eventually(() => s.services.repo.shadows.get(shadow!.oid), (x) => x === null, 'the shadow gone');
  expect((await s.services.repo.users.byRef('tia'))!.linkRef).toEqual([]);
});
