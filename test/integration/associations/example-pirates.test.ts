/**
 * The examples' group on the real directory: applying examples/ provisions jack through the Pirate
 * role, which makes his LDAP account a member of cn=pirates,ou=groups (seeded in the test directory
 * as in the dev one); unassigning the role takes him out again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import { runTallyCli } from '../../support/tally-cli';
import { applyAndProvision, eventually, examplesForStack, startTally, type TallyHarness } from '../../support/tally-harness';

const PIRATES = 'cn=pirates,ou=groups,dc=example,dc=com';

let tally: TallyHarness;
let pg: PgClient;
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
  const suffix = tally.settings.TALLY_TASK_QUEUE.slice(-8);
  const ou = `people-${suffix}`;
  const table = `accounts_${suffix}`;
  jackDn = `uid=jack,ou=${ou},dc=example,dc=com`;
  const ldap = new LdapClient({ url: tally.stack.ldap.url });
  try {
    await ldap.bind(tally.stack.ldap.bindDn, tally.stack.ldap.bindPassword);
    await ldap.add(`ou=${ou},dc=example,dc=com`, { objectClass: ['top', 'organizationalUnit'], ou });
  } finally {
    await ldap.unbind();
  }
  pg = new PgClient({ connectionString: tally.stack.postgres.connectionString });
  await pg.connect();
  await pg.query(readFileSync(path.join(__dirname, '..', '..', '..', 'examples', 'sql', 'accounts.sql'), 'utf8').replace(/\baccounts\b/g, table));

  await applyAndProvision(tally.services, [examplesForStack(tally.stack, { ldapOu: ou, table })]);
}, 180_000);

afterAll(async () => {
  await pg?.end();
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
