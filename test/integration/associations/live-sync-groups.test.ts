/**
 * Group changes made in the directory by its admin reach live sync as changes of the member accounts:
 * a membership a role gives (strong) that the admin takes away comes back with no reconciliation; one
 * the admin gives that no role gives stays (the association is tolerant). A group change with several
 * members is read whole, whatever the page size. Attributes are enforced the same way: a value a strong
 * mapping gives comes back, one of a normal mapping is left to the admin.
 */
import { Attribute, Change, type Client as LdapClient } from 'ldapts';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../../../src/admin/live-sync';
import type { LiveSyncStatus } from '../../../src/workflows/workflow-ids';
import { exampleResources } from '../../support/example-resources';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const PIRATES = 'cn=pirates,ou=groups,dc=example,dc=com';

let tally: TallyHarness;
let resources: Awaited<ReturnType<typeof exampleResources>>;
let people: string;
let parrots: string;
let jackDn: string;

/** As the directory's admin (the test's own connection), as a person editing it by hand would. */
const asAdmin = <T>(fn: (c: LdapClient) => Promise<T>): Promise<T> => fn(resources.ldap);

async function members(group: string): Promise<string[]> {
  const member = (await asAdmin((c) => c.search(group, { scope: 'base', attributes: ['member'] }))).searchEntries[0]?.member ?? [];
  return (Array.isArray(member) ? member : [member]).map((m) => String(m).toLowerCase());
}

const memberChange = (operation: 'add' | 'delete', values: string[]) => new Change({ operation, modification: new Attribute({ type: 'member', values }) });

/** The admin takes jack out of cn=pirates; a member of no account stands in, as jack may be the last one (groupOfNames needs one). */
async function removeJackFromPirates(standIn: string): Promise<void> {
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  await asAdmin((c) => c.modify(PIRATES, [memberChange('add', [`cn=${standIn}-${suffix},ou=nobody,dc=example,dc=com`]), memberChange('delete', [jackDn])]));
}

async function status(): Promise<LiveSyncStatus> {
  const [listing] = await liveSyncStatuses(tally.services, LDAP_OID);
  if (!listing.status) throw new Error('live sync of the LDAP resource does not run');
  return listing.status;
}

async function jackShadowGroups(): Promise<string[]> {
  const jack = (await tally.services.repo.users.byRef('jack'))!;
  const shadow = (await tally.services.repo.shadows.ofOwner(jack.oid)).find((s) => s.resourceRef === LDAP_OID);
  return ((shadow?.attributes?.['association/group'] as string[] | undefined) ?? []).map((g) => g.toLowerCase());
}

beforeAll(async () => {
  tally = await startTally('lsgroups');
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  resources = await exampleResources(tally.stack, suffix);
  people = resources.base;
  jackDn = `uid=jack,${people}`;
  parrots = `cn=parrots-${suffix},ou=groups,dc=example,dc=com`;
  await asAdmin((c) => c.add(parrots, { objectClass: 'groupOfNames', cn: `parrots-${suffix}`, member: 'cn=nobody' }));
  await applyAndProvision(tally.services, [resources.examples]);
  expect(await members(PIRATES)).toContain(jackDn.toLowerCase());

  await startLiveSync(tally.services, LDAP_OID, { intervalMs: 200 });
  await eventually(() => status().catch(() => null), (s) => (s?.polls ?? 0) >= 2, 'live sync polling');
}, 180_000);

afterAll(async () => {
  await signalLiveSync(tally.services, LDAP_OID, 'stop').catch(() => undefined);
  await resources?.close();
  await tally?.stop();
});

test('a member the Pirate role gives, removed from cn=pirates by the admin, is added back by live sync without a reconciliation', async () => {
  const before = await status();
  await removeJackFromPirates('first');
  expect(await members(PIRATES)).not.toContain(jackDn.toLowerCase());

  await eventually(() => members(PIRATES), (m) => m.includes(jackDn.toLowerCase()), 'jack back in cn=pirates', 30_000);
  const after = await status();
  expect(after.applied).toBeGreaterThan(before.applied);
  expect(after.reconciliationsStarted).toBe(0);
  // No reconciliation of this Tally's (its task queue's); other test files may have run one under the examples' oid.
  const recon = await tally.services.client.workflow.getHandle(`recon:${LDAP_OID}`).describe().catch(() => null);
  expect(recon?.taskQueue === tally.settings.TALLY_TASK_QUEUE ? recon.workflowId : null).toBeNull();
  await eventually(jackShadowGroups, (groups) => groups.includes(PIRATES), "jack's shadow with cn=pirates");
}, 60_000);

test('a member the admin adds to a group no role gives stays: the association is tolerant', async () => {
  await asAdmin((c) => c.modify(parrots, [memberChange('add', [jackDn])]));
  await eventually(jackShadowGroups, (groups) => groups.includes(parrots.toLowerCase()), "jack's shadow with the parrots", 30_000);
  // Then a membership his role gives goes: its recompute sees the parrots too, and leaves them.
  await removeJackFromPirates('second');
  await eventually(() => members(PIRATES), (m) => m.includes(jackDn.toLowerCase()), 'jack back in cn=pirates', 30_000);
  const settled = await status();
  await eventually(status, (s) => s.polls >= settled.polls + 3, 'three more polls');
  expect(await members(parrots)).toContain(jackDn.toLowerCase());
  expect(await jackShadowGroups()).toEqual(expect.arrayContaining([PIRATES, parrots.toLowerCase()]));
}, 60_000);

async function jackEntry(): Promise<Record<string, unknown>> {
  return (await asAdmin((c) => c.search(jackDn, { scope: 'base', attributes: ['title', 'description'] }))).searchEntries[0]!;
}
const valuesOf = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);

test("a value a strong mapping gives, changed by the admin, is put back by live sync; a normal mapping's value the admin changes stays", async () => {
  const before = await status();
  const replace = (type: string, values: string[]) => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
  // title: Pirate comes from the Pirate role's strong mapping; description from a normal one.
  await asAdmin((c) => c.modify(jackDn, [replace('title', ['Cook']), replace('description', ['Set by the admin'])]));
  await eventually(async () => valuesOf((await jackEntry()).title), (t) => t.includes('Pirate'), "jack's title Pirate again", 30_000);
  const after = await status();
  expect(after.reconciliationsStarted).toBe(before.reconciliationsStarted);
  const settled = await status();
  await eventually(status, (st) => st.polls >= settled.polls + 3, 'three more polls');
  const entry = await jackEntry();
  // title is single-valued in the example's schema handling: the strong value replaces the admin's.
  expect(valuesOf(entry.title)).toEqual(['Pirate']);
  expect(valuesOf(entry.description)).toEqual(['Set by the admin']);
}, 60_000);

test('a group change with several members is read whole, even by pages of one change; the next page starts after it', async () => {
  const { connector } = await tally.services.connectors.connectorFor(LDAP_OID);
  const start = await connector.latestToken();
  const ghosts = ['one', 'two', 'three'].map((n) => `uid=ghost-${n},${people}`);
  await asAdmin((c) => c.modify(parrots, [memberChange('add', ghosts)]));

  const page = await connector.changesSince(start, 1);
  expect(page.changes.map((c) => c.secondaryIdentifier?.toLowerCase())).toEqual(ghosts.map((g) => g.toLowerCase()));
  expect(new Set(page.changes.map((c) => c.token))).toEqual(new Set([page.token]));
  const next = await connector.changesSince(page.token, 1);
  expect(next.changes.filter((c) => c.secondaryIdentifier?.toLowerCase().startsWith('uid=ghost-'))).toEqual([]);
});
