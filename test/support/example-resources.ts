import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import { examplesForStack } from './tally-harness';
import type { StackInfo } from './stack';

/** Creates the examples' MyLittleAD accounts table (examples/sql/accounts.sql) under the name `table`. */
export async function createAccountsTable(pg: PgClient, table: string): Promise<void> {
  await pg.query(readFileSync(path.join(__dirname, '..', '..', 'examples', 'sql', 'accounts.sql'), 'utf8').replace(/\baccounts\b/g, table));
}
/**
 * The example resources on the bench's stack, each its own: an LDAP container `ou=people-<name>` and a
 * PostgreSQL table `accounts_<name>` (so `name` is an SQL identifier), with the examples' configuration
 * pointing at them. Empty, or with `jack` what the dev stack's resources hold before Tally: jack's entry
 * and jack's MyLittleAD row (the seeds' modification scenario); `containerExists`: the LDAP container was
 * loaded with the directory (startTestStack's `ldapSeedLdifFile`).
 */
export async function exampleResources(info: StackInfo, name: string, options: { jack?: boolean; sets?: string[]; containerExists?: boolean } = {}) {
  const ou = `people-${name}`;
  const table = `accounts_${name}`;
  const base = `ou=${ou},dc=example,dc=com`;
  const accountDn = (uid: string) => `uid=${uid},${base}`;
  const ldap = new LdapClient({ url: info.ldap.url });
  const pg = new PgClient({ connectionString: info.postgres.connectionString });
  await ldap.bind(info.ldap.bindDn, info.ldap.bindPassword);
  if (!options.containerExists) await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
  await pg.connect();
  await createAccountsTable(pg, table);
  if (options.jack) {
    await ldap.add(accountDn('jack'), { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: 'jack', cn: 'Jack Sparrow', givenName: 'Jack', sn: 'Sparrow' });
    await pg.query(`INSERT INTO ${table} (name, login, cn, given_name, sn) VALUES ('cn=jack,o=Acme', 'jack', 'Jack Sparrow', 'Jack', 'Sparrow')`);
  }
  const examples = examplesForStack(info, { ldapOu: ou, table }, { sets: options.sets });
  return {
    ldap,
    pg,
    ou,
    base,
    table,
    /** The DN of the account named `uid` in this container. */
    accountDn,
    /** A copy of examples/ for this stack and these resources. */
    examples,
    /** Its folders but users/: the resources, templates and roles, and nobody yet. */
    examplesWithoutUsers: ['resources', 'templates', 'roles'].map((folder) => path.join(examples, folder)),
    async close() {
      await ldap.unbind().catch(() => undefined);
      await pg.end().catch(() => undefined);
    },
  };
}

export type ExampleResources = Awaited<ReturnType<typeof exampleResources>>;
