import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import { examplesForStack } from './tally-harness';
import type { StackInfo } from './stack';

/**
 * The example resources on the bench's stack, each empty and its own: an LDAP container `ou=people-<name>`
 * and a PostgreSQL table `accounts_<name>`, with the examples' configuration pointing at them.
 */
export async function exampleResources(info: StackInfo, name: string) {
  const ou = `people-${name}`;
  const table = `accounts_${name}`;
  const base = `ou=${ou},dc=example,dc=com`;
  const ldap = new LdapClient({ url: info.ldap.url });
  const pg = new PgClient({ connectionString: info.postgres.connectionString });
  await ldap.bind(info.ldap.bindDn, info.ldap.bindPassword);
  await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  await pg.connect();
  await pg.query(readFileSync(path.join(__dirname, '..', '..', 'examples', 'sql', 'accounts.sql'), 'utf8').replace(/\baccounts\b/g, table));
  return {
    ldap,
    pg,
    base,
    table,
    /** A copy of examples/ for this stack and these resources. */
    examples: examplesForStack(info, { ldapOu: ou, table }),
    async close() {
      await ldap.unbind().catch(() => undefined);
      await pg.end().catch(() => undefined);
    },
  };
}
