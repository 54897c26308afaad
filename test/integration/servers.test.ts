import { Connection } from '@temporalio/client';
import { Client as LdapClient } from 'ldapts';
import { RepositoryInspector, type StoredDocuments } from '../support/repository-inspector';
import { Client as PgClient } from 'pg';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { removePostgresData, startMongod, startPostgres, startSlapd, TALLY_SEARCH_ATTRIBUTES } from '../../src/dev/servers';
import { getStack, scratchDir } from '../support/stack';

describe('the shared test stack runs real servers', () => {
  const stack = getStack();

  it('slapd answers an LDAP search of ou=people with the admin bind', async () => {
    const client = new LdapClient({ url: stack.ldap.url });
    try {
      await client.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
      const { searchEntries } = await client.search(stack.ldap.peopleDn, { scope: 'base', attributes: ['ou'] });
      expect(searchEntries).toHaveLength(1);
      expect(searchEntries[0].dn).toBe(stack.ldap.peopleDn);
    } finally {
      await client.unbind();
    }
  });

  it('slapd writes an accesslog record with entryCSN for an add', async () => {
    const client = new LdapClient({ url: stack.ldap.url });
    const dn = `uid=servers-test-${process.pid},${stack.ldap.peopleDn}`;
    try {
      await client.bind(stack.ldap.bindDn, stack.ldap.bindPassword);
      await client.add(dn, { objectClass: ['inetOrgPerson'], uid: `servers-test-${process.pid}`, cn: 'T', sn: 'T' });
      const { searchEntries } = await client.search(stack.ldap.accesslogBase, {
        filter: `(&(objectClass=auditWriteObject)(reqType=add)(reqDN=${dn}))`,
        attributes: ['reqType', 'entryCSN'],
      });
      expect(searchEntries).toHaveLength(1);
      expect(searchEntries[0].entryCSN).toMatch(/^\d{14}\.\d{6}Z#/);
    } finally {
      await client.del(dn).catch(() => undefined);
      await client.unbind();
    }
  });

  it('PostgreSQL answers select 1', async () => {
    const client = new PgClient({ connectionString: stack.postgres.connectionString });
    await client.connect();
    try {
      const result = await client.query<{ one: number }>('select 1 as one');
      expect(result.rows).toEqual([{ one: 1 }]);
    } finally {
      await client.end();
    }
  });

  it('mongod stores and finds a document, and is a real MongoDB (>= 6, standalone)', async () => {
    const inspect = new RepositoryInspector(stack.mongo.uri, 'servers_test');
    try {
      const collection = inspect.scratch<{ name: string; n: number }>(`c${process.pid}`);
      await collection.insertOne({ name: 'jack', n: 1 });
      const found = await collection.findOne({ name: 'jack' }, { projection: { _id: 0 } });
      expect(found).toEqual({ name: 'jack', n: 1 });
      await collection.drop();
      const build = await inspect.serverCommand({ buildInfo: 1 });
      expect(Number(String(build.version).split('.')[0])).toBeGreaterThanOrEqual(6);
      const hello = await inspect.serverCommand({ hello: 1 });
      expect(hello.setName).toBeUndefined();
    } finally {
      await inspect.close();
    }
  });

  it('the Temporal dev server answers and has the Tally search attributes', async () => {
    const connection = await Connection.connect({ address: stack.temporal.address });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
      const attributes = await connection.operatorService.listSearchAttributes({
        namespace: stack.temporal.namespace,
      });
      for (const name of TALLY_SEARCH_ATTRIBUTES) {
        // 2 = INDEXED_VALUE_TYPE_KEYWORD
        expect(attributes.customAttributes?.[name]).toBe(2);
      }
    } finally {
      await connection.close();
    }
  });
});

describe('a private slapd survives a restart', () => {
  it('keeps an entry added before the stop, on the same port and data, and loads a seed', async () => {
    const adminPassword = 'restart-test-password';
    const dataDir = scratchDir('slapd-restart');
    const seedLdif = 'dn: uid=seeded,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: seeded\ncn: Seeded\nsn: S\n\n';
    const slapd = await startSlapd({ dataDir, adminPassword, seedLdif });
    const connect = async (): Promise<LdapClient> => {
      const client = new LdapClient({ url: slapd.url });
      await client.bind(slapd.bindDn, adminPassword);
      return client;
    };
    try {
      const before = await connect();
      try {
        await before.add(`uid=kept,${slapd.peopleDn}`, { objectClass: ['inetOrgPerson'], uid: 'kept', cn: 'Kept', sn: 'K' });
      } finally {
        await before.unbind();
      }

      await slapd.stop();
      expect(slapd.isRunning()).toBe(false);
      const down = new LdapClient({ url: slapd.url, connectTimeout: 500 });
      await expect(down.bind(slapd.bindDn, adminPassword)).rejects.toThrow();
      await down.unbind().catch(() => undefined);

      await slapd.restart();
      const after = await connect();
      try {
        const { searchEntries } = await after.search(slapd.peopleDn, {
          filter: '(|(uid=kept)(uid=seeded))',
          attributes: ['uid'],
        });
        expect(searchEntries.map((e) => e.uid).sort()).toEqual(['kept', 'seeded']);
      } finally {
        await after.unbind();
      }

      // Starting anew with the same options (as a restarted process would) also keeps the data; groups
      // asked for now are added to the directory made without them.
      await slapd.stop();
      const again = await startSlapd({ dataDir, adminPassword, port: slapd.port, groups: ['pirates'] });
      try {
        const client = new LdapClient({ url: again.url });
        try {
          await client.bind(again.bindDn, adminPassword);
          const { searchEntries } = await client.search(`uid=kept,${again.peopleDn}`, { scope: 'base' });
          expect(searchEntries).toHaveLength(1);
          const group = await client.search(`cn=pirates,${again.groupsDn}`, { scope: 'base', attributes: ['objectClass', 'member'] });
          expect(group.searchEntries[0]).toMatchObject({ objectClass: 'groupOfNames', member: 'cn=nobody' });
        } finally {
          await client.unbind();
        }
      } finally {
        await again.stop();
      }
    } finally {
      await slapd.stop();
    }
  });
});

describe('a private mongod survives a restart', () => {
  it('keeps a document written before a clean stop, on the same port and data', async () => {
    const dataDir = scratchDir('mongod-restart');
    const mongod = await startMongod({ dataDir, cacheSizeGB: 0.25 });
    const withCollection = async <T>(fn: (c: StoredDocuments<{ _id: string; n: number }>) => Promise<T>): Promise<T> => {
      const inspect = new RepositoryInspector(mongod.uri, 'restart_test');
      try {
        return await fn(inspect.scratch('docs'));
      } finally {
        await inspect.close();
      }
    };
    try {
      await withCollection((c) => c.insertOne({ _id: 'kept', n: 1 }));
      await mongod.stop();
      expect(mongod.isRunning()).toBe(false);
      await mongod.restart();
      expect(await withCollection((c) => c.findOne({ _id: 'kept' }))).toEqual({ _id: 'kept', n: 1 });
    } finally {
      await mongod.stop();
    }
  });
});

const asRoot = process.getuid?.() === 0;

describe('PostgreSQL in a folder its user cannot enter', () => {
  (asRoot ? it : it.skip)('keeps the cluster outside, linked from the wanted dir, across restarts; removePostgresData removes both', async () => {
    const privateRoot = path.join(scratchDir('pg-private'), 'private');
    mkdirSync(privateRoot, { mode: 0o700 });
    const dataDir = path.join(mkdtempSync(path.join(privateRoot, 'x-')), 'postgres');
    const query = async (connectionString: string, sql: string): Promise<unknown[]> => {
      const client = new PgClient({ connectionString });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    let server = await startPostgres({ dataDir });
    const clusterDir = server.clusterDir;
    try {
      expect(clusterDir.startsWith(privateRoot)).toBe(false);
      expect(lstatSync(path.join(dataDir, 'pgdata')).isSymbolicLink()).toBe(true);
      await query(server.connectionString, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
      await server.stop();
      // A new start on the same dir (as the next `make start`) finds the same cluster.
      server = await startPostgres({ dataDir, port: server.port });
      expect(server.clusterDir).toBe(clusterDir);
      expect(await query(server.connectionString, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);
    } finally {
      await server.stop();
    }
    removePostgresData(dataDir);
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(clusterDir)).toBe(false);
    rmSync(privateRoot, { recursive: true, force: true });
  });
});
