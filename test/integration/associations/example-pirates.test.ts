/**
 * The examples' group on the real directory: applying examples/ provisions jack through the Pirate
 * role, which makes his LDAP account a member of cn=pirates,ou=groups (seeded in the test directory
 * as in the dev one); unassigning the role takes him out again.
 */
import { Client as LdapClient } from 'ldapts';
import { runTallyCli } from '../../support/tally-cli';
import { exampleResources, type ExampleResources } from '../../support/example-resources';
import { applyAndProvision, eventually, startTally, type TallyHarness } from '../../support/tally-harness';

const PIRATES = 'cn=pirates,ou=groups,dc=example,dc=com';

let tally: TallyHarness;
let resources: ExampleResources;
let jackDn: string;

async function pirates(): Promise<string[]> {
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    const member = (await ldap.search(PIRATES, { scope: 'base', attributes: ['member'] })).searchEntries[0]?.member ?? [];
    return (Array.isArray(member) ? member : [member]).map((m) => String(m).toLowerCase());
  } finally {
    await ldap.unbind();
  }
}

beforeAll(async () => {
  tally = await startTally('pirates');
  resources = await exampleResources(tally.stack, tally.settings.TALLY_TASK_QUEUE.slice(-8));
  jackDn = resources.accountDn('jack');
  await applyAndProvision(tally.services, [resources.examples]);
}, 180_000);

afterAll(async () => {
  await resources?.close();
  await tally?.stop();
});

test("jack, a Pirate, is a member of cn=pirates; the shadow knows it", async () => {
  expect(await pirates()).toContain(jackDn.toLowerCase());
  const jack = await tally.services.repo.users.byRef('jack');
  const shadows = await tally.services.repo.shadows.ofOwner(jack!.oid);
  const ldapShadow = shadows.find((s) => s.secondaryIdentifier?.toLowerCase() === jackDn.toLowerCase());
  expect(ldapShadow?.attributes?.['association/group']).toEqual([PIRATES]);
});

test('unassigning the Pirate role takes jack out of cn=pirates', async () => {
  const result = await runTallyCli(tally.env, ['user', 'unassign', 'jack', 'Pirate', '--wait', '--json']);
  expect(result.code).toBe(0);
  await eventually(() => pirates(), (members) => !members.includes(jackDn.toLowerCase()), 'jack out of cn=pirates');
});
