/**
 * Live sync far behind on LDAP: N modifies made while nobody read the accesslog, then read back by the
 * connector a page at a time (`changesSince(position, page)`, as live sync's polls do), timed to the end.
 * The floor, in the same run: one paged search returning every record of the backlog once.
 *
 *   npx tsx bench/changelog-backlog.bench.ts [changes=20000] [page=1000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { createConnector } from '../src/connectors';
import { startSlapd } from '../src/dev/servers';
import { ldapConnectorSchema } from '../src/schema/config';
import { withConcurrency } from './support/measure';

const changes = Number(process.argv[2] ?? 20_000);
const pageSize = Number(process.argv[3] ?? 1000);

async function main() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tally-bench-changelog-'));
  const password = 'bench-secret';
  const server = await startSlapd({ dataDir, adminPassword: password });
  process.env.TALLY_BENCH_LDAP_PASSWORD = password;
  const admin = new Client({ url: server.url });
  try {
    await admin.bind(server.bindDn, password);
    const connector = createConnector(
      ldapConnectorSchema.parse({
        type: 'ldap',
        url: server.url,
        bindDn: server.bindDn,
        bindPassword: { env: 'TALLY_BENCH_LDAP_PASSWORD' },
        baseContext: server.peopleDn,
        changelog: { type: 'accesslog', base: server.accesslogBase, ignoreModifiers: [] },
      }),
    );
    const accounts = Array.from({ length: 100 }, (_, i) => `uid=backlog${i},${server.peopleDn}`);
    for (const dn of accounts) await admin.add(dn, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: dn.slice(4, dn.indexOf(',')), sn: 'b', cn: 'b' });
    const start = await connector.latestToken();
    const written = Date.now();
    await withConcurrency(Array.from({ length: changes }, (_, i) => i), 16, (i) =>
      admin.modify(accounts[i % accounts.length]!, new Change({ operation: 'replace', modification: new Attribute({ type: 'description', values: [`change ${i}`] }) })),
    );
    console.log(`backlog: ${changes} modifies written in ${((Date.now() - written) / 1000).toFixed(1)} s`);

    const floorStarted = Date.now();
    let floorRecords = 0;
    for await (const page of admin.searchPaginated(server.accesslogBase, { scope: 'one', filter: `(&(objectClass=auditModify)(entryCSN>=${start}))`, attributes: ['entryCSN', 'reqType', 'reqDN', 'reqMod', 'reqEntryUUID'], paged: { pageSize: 1000 } })) {
      floorRecords += page.searchEntries.length;
    }
    const floorMs = Date.now() - floorStarted;

    const readStarted = Date.now();
    let token = start;
    let read = 0;
    let polls = 0;
    for (;;) {
      const page = await connector.changesSince(token, pageSize);
      polls++;
      if (page.changes.length === 0) break;
      read += page.changes.length;
      token = page.token;
    }
    const readMs = Date.now() - readStarted;
    if (read !== changes) throw new Error(`read ${read} changes, ${changes} were made`);
    console.log(`read back in pages of ${pageSize}: ${read} changes in ${polls} polls, ${(readMs / 1000).toFixed(2)} s, ${Math.round(read / (readMs / 1000))} changes/s`);
    console.log(`floor, one search of the whole backlog: ${floorRecords} records in ${(floorMs / 1000).toFixed(2)} s, ${Math.round(floorRecords / (floorMs / 1000))} records/s; ratio ${(readMs / floorMs).toFixed(2)}x`);
    await connector.close();
  } finally {
    await admin.unbind().catch(() => undefined);
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
