/**
 * The PostgreSQL table connector against a private PostgreSQL, started here so it can be stopped and
 * restarted without disturbing other suites. The connector logs in as a role with a password
 * (scram-sha-256), so wrong credentials are really refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createConnector } from '../../../src/connectors';
import type { Connector } from '../../../src/connectors/connector-types';
import { POSTGRES_INITIAL_TOKEN } from '../../../src/connectors/postgres/postgres-types';
import { removePostgresData, startPostgres, type PostgresServer } from '../../../src/dev/servers';
import { postgresConnectorSchema, type PostgresConnectorConfig } from '../../../src/schema/config';
import { describeConnectorContract, expectKind, rowsFixture, type ConnectorFixture } from './connector-contract';

const PASSWORD = `pg-${randomBytes(9).toString('hex')}`;
const WRONG_PASSWORD = `wrong-${randomBytes(9).toString('hex')}`;
process.env.TALLY_TEST_PG_PASSWORD = PASSWORD;
process.env.TALLY_TEST_PG_WRONG_PASSWORD = WRONG_PASSWORD;

let dataDir: string;
let server: PostgresServer;
let config: PostgresConnectorConfig;
let pg: Connector;
const opened: Connector[] = [];

function connect(overrides: Partial<PostgresConnectorConfig> = {}): Connector {
  const c = createConnector({ ...config, ...overrides });
  opened.push(c);
  return c;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: server.connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tally-pg-connector-'));
  server = await startPostgres({ dataDir });
  await admin(async (c) => {
    await c.query(`CREATE ROLE tally LOGIN PASSWORD '${PASSWORD}'`);
    await c.query(`
      CREATE TABLE accounts (
        id bigserial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        full_name text,
        email text CHECK (email LIKE '%@%'),
        groups text[] NOT NULL DEFAULT '{}',
        age int CHECK (age >= 0),
        active boolean,
        kind text NOT NULL DEFAULT 'person',
        modified timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE FUNCTION touch_modified() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN NEW.modified := clock_timestamp(); RETURN NEW; END $$;
      CREATE TRIGGER accounts_modified BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION touch_modified();
      GRANT SELECT, INSERT, UPDATE, DELETE ON accounts TO tally;
      GRANT USAGE ON SEQUENCE accounts_id_seq TO tally;`);
  });
  // The role must prove its password over TCP; everything else stays trusted for the test's own setup.
  const hba = path.join(server.clusterDir, 'pg_hba.conf');
  writeFileSync(hba, `host all tally 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
  await admin((c) => c.query('SELECT pg_reload_conf()'));

  config = postgresConnectorSchema.parse({
    type: 'postgres',
    host: server.host,
    port: server.port,
    database: server.database,
    user: 'tally',
    password: { env: 'TALLY_TEST_PG_PASSWORD' },
    table: 'accounts',
    primaryIdentifier: 'id',
    secondaryIdentifier: 'name',
    modifiedColumn: 'modified',
    timeout: '3s',
  });
  pg = connect();
});

afterAll(async () => {
  for (const c of opened) await c.close();
  await server?.stop();
  if (dataDir) removePostgresData(dataDir);
});

const countRows = async () =>
  Number(await admin(async (c) => (await c.query<{ n: string }>('SELECT count(*) AS n FROM accounts')).rows[0].n));

const fixture = (): ConnectorFixture => ({
  connector: pg,
  connect: () => connect(),
  initialToken: POSTGRES_INITIAL_TOKEN,
  // every column but the key, in order
  schema: { objectClass: 'accounts', attributes: ['name', 'full_name', 'email', 'groups', 'age', 'active', 'kind', 'modified'], complete: true },
  nameOf: (name) => name,
  account: {
    attributes: { full_name: ['Jack Sparrow'], email: ['jack@example.com'], groups: ['a', 'b'], age: [42], active: [true] },
    stored: {
      name: ['jack'],
      full_name: ['Jack Sparrow'],
      email: ['jack@example.com'],
      groups: ['a', 'b'],
      age: [42],
      active: [true],
      kind: ['person'],
      modified: [expect.stringMatching(/^\d{4}-\d\d-\d\dT/)],
    },
    primaryIdentifier: /^\d+$/, // the generated key
    hidden: ['id'],
    some: { names: ['email'], attributes: { name: ['jack'], email: ['jack@example.com'] } },
  },
  ...rowsFixture,
  unknownPrimaryIdentifier: '999999',
  // a deleted row leaves nothing behind
  deletesAreChanges: false,
  violations: {
    create: [
      ['bad2', { email: ['no-at-sign'] }], // 23514
      ['bad3', { age: ['not a number'] }], // 22P02
      ['bad4', { full_name: ['one', 'two'] }], // single-valued
    ],
    modify: [[{ path: 'kind', replace: [] }]], // 23502
  },
  alreadyExistsCode: '23505',
  credentials: {
    wrong: () => connect({ password: { env: 'TALLY_TEST_PG_WRONG_PASSWORD' } }),
    wrongCode: '28P01',
    unset: () => connect({ password: { env: 'TALLY_TEST_PG_UNSET_VARIABLE' } }),
    unsetVariable: 'TALLY_TEST_PG_UNSET_VARIABLE',
  },
  secrets: [PASSWORD, WRONG_PASSWORD],
  manyAtOnce: { get: true, modify: true },
  countObjects: countRows,
  stopResource: () => server.stop(),
  restartResource: () => server.restart(),
});

let tokenAfterCreate: string;

const contract = describeConnectorContract('PostgreSQL table connector', fixture, {
  afterGet() {
    it('reads an insert from the modified column', async () => {
      const page = await pg.changesSince(POSTGRES_INITIAL_TOKEN);
      expect(page.changes).toHaveLength(1);
      expect(page.changes[0]).toMatchObject({ changeType: 'modify', primaryIdentifier: contract.accountId, secondaryIdentifier: 'jack' });
      expect(page.changes[0].attributeDeltas).toEqual(expect.arrayContaining([{ path: 'groups', replace: ['a', 'b'] }]));
      tokenAfterCreate = page.token;
      expect(await pg.latestToken()).toBe(tokenAfterCreate);
    });
  },
  afterModify() {
    it('modifies several columns at once: arrays and scalars by replace, emptied to no values', async () => {
      const jackId = contract.accountId;
      const replaced = await pg.modify(jackId, [
        { path: 'groups', replace: ['x', 'y'] },
        { path: 'full_name', replace: ['Captain Jack'] },
        { path: 'age', replace: [] },
      ]);
      expect(replaced.attributes).toMatchObject({ groups: ['x', 'y'], full_name: ['Captain Jack'], age: [] });
      const cleared = await pg.modify(jackId, [{ path: 'groups', replace: [] }]);
      expect(cleared.attributes.groups).toEqual([]);
    });
  },
  afterRename() {
    it('renames back by the name column', async () => {
      const back = await pg.modify(contract.accountId, [{ path: 'name', replace: ['jack'] }]);
      expect(back.secondaryIdentifier).toBe('jack');
      expect(back.primaryIdentifier).toBe(contract.accountId);
      await expectKind(pg.get({ secondaryIdentifier: 'captain' }), 'not-found');
    });

    it('reads changes strictly after a token, ordered by (modified, key), ties included', async () => {
      const sinceCreate = await pg.changesSince(tokenAfterCreate);
      expect(sinceCreate.changes.map((c) => c.secondaryIdentifier)).toEqual(['jack']); // the latest state, once
      expect(await pg.changesSince(sinceCreate.token)).toEqual({ changes: [], token: sinceCreate.token });

      // Three rows stamped with the same time in one statement: the key breaks the tie.
      await admin((c) =>
        c.query(`INSERT INTO accounts (name, modified) SELECT 'tie' || i, now() FROM generate_series(1, 3) i`),
      );
      const seen: string[] = [];
      let token = sinceCreate.token;
      for (;;) {
        const page = await pg.changesSince(token, 1);
        if (page.changes.length === 0) break;
        seen.push(page.changes[0].secondaryIdentifier!);
        token = page.token;
      }
      expect(seen).toEqual(['tie1', 'tie2', 'tie3']);
      expect(await pg.latestToken()).toBe(token);
    });
  },
});

describe('PostgreSQL table connector', () => {
  it('refuses changes without a modified column', async () => {
    const plain = connect({ modifiedColumn: undefined });
    await expectKind(plain.changesSince(POSTGRES_INITIAL_TOKEN), 'configuration');
    await expectKind(plain.latestToken(), 'configuration');
  });

  it('pages through the table in key order', async () => {
    const total = await countRows();
    const ids = (await pg.search({ pageSize: total })).objects.map((o) => Number(o.primaryIdentifier));
    expect(ids).toHaveLength(total);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('reports a key of the wrong type as not-found, and unknown or injected columns as schema violations', async () => {
    const jackId = contract.accountId;
    await expectKind(pg.get({ primaryIdentifier: 'not-a-number' }), 'not-found');
    const unknown = await expectKind(pg.create('bad1', { no_such_column: ['x'] }), 'schema-violation');
    expect(unknown.message).toContain('no_such_column');
    const injection = 'name") VALUES (\'x\'); DROP TABLE accounts; --';
    await expectKind(pg.modify(jackId, [{ path: injection, replace: ['x'] }]), 'schema-violation');
    expect((await pg.get({ secondaryIdentifier: 'jack' })).primaryIdentifier).toBe(jackId);
  });

  it('reports a missing table or name column as a configuration error', async () => {
    await expectKind(connect({ table: 'no_such_table' }).testConnection(), 'configuration');
    await expectKind(connect({ secondaryIdentifier: 'login' }).testConnection(), 'configuration');
  });
});
