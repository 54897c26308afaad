import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import type { TallyHarness } from './tally-harness';

/**
 * What the dev stack's resources hold before Tally, for one test file: an LDAP container of its own with
 * jack's entry, and a MyLittleAD table of its own with jack's row (the seeds' modification scenario).
 * The names go to examplesForStack.
 */
export async function prepareJackAccounts(tally: TallyHarness): Promise<{ ou: string; table: string; jackDn: string }> {
  const { stack } = tally;
  const ou = `people-${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`;
  const table = `accounts_${tally.settings.TALLY_TASK_QUEUE.slice(-8)}`;
  const jackDn = `uid=jack,ou=${ou},dc=example,dc=com`;
  const ldap = new LdapClient({ url: stack.ldap.url });
  try {
    await ldap.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
    await ldap.add(`ou=${ou},dc=example,dc=com`, { objectClass: ['top', 'organizationalUnit'], ou });
    await ldap.add(jackDn, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'jack', cn: 'Jack Sparrow', givenName: 'Jack', sn: 'Sparrow' });
  } finally {
    await ldap.unbind();
  }
  const pg = new PgClient({ connectionString: stack.postgres.connectionString });
  await pg.connect();
  try {
    await pg.query(readFileSync(path.join(__dirname, '..', '..', 'examples', 'sql', 'accounts.sql'), 'utf8').replace(/\baccounts\b/g, table));
    await pg.query(`INSERT INTO ${table} (name, login, cn, given_name, sn) VALUES ('cn=jack,o=Acme', 'jack', 'Jack Sparrow', 'Jack', 'Sparrow')`);
  } finally {
    await pg.end();
  }
  return { ou, table, jackDn };
}
