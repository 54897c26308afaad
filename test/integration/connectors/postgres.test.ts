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
import { ConnectorError, type ConnectorErrorKind } from '../../../src/connectors/connector-errors';
import type { Connector } from '../../../src/connectors/connector-types';
import { POSTGRES_INITIAL_TOKEN } from '../../../src/connectors/postgres/postgres-types';
import { removePostgresData, startPostgres, type PostgresServer } from '../../../src/dev/servers';
import { postgresConnectorSchema, type PostgresConnectorConfig } from '../../../src/schema/config';

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

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected the operation to fail');
}

async function expectKind(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const e = await failure(p);
  // kind and message together, so a failure shows what the connector said
  expect(`${e.kind}: ${e.message}`).toMatch(new RegExp(`^${kind}: .+`));
  return e;
}

function expectNoSecret(e: ConnectorError): void {
  const shown = `${e.message} ${JSON.stringify(e)} ${String(e)} ${e.stack ?? ''}`;
  expect(shown).not.toContain(PASSWORD);
  expect(shown).not.toContain(WRONG_PASSWORD);
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

describe('PostgreSQL table connector', () => {
  let jackId: string;
  let tokenAfterCreate: string;

  it('tests the connection and lists the columns as attributes', async () => {
    await pg.testConnection();
    expect(await pg.schema()).toEqual({
      objectClass: 'accounts',
      attributes: ['name', 'full_name', 'email', 'groups', 'age', 'active', 'kind', 'modified'],
    });
  });

  it('starts the changelog from the beginning when no row was modified', async () => {
    expect(await pg.latestToken()).toBe(POSTGRES_INITIAL_TOKEN);
    expect(await pg.changesSince(POSTGRES_INITIAL_TOKEN)).toEqual({ changes: [], token: POSTGRES_INITIAL_TOKEN });
  });

  it('creates a row and returns it with its generated key', async () => {
    const created = await pg.create('jack', {
      full_name: ['Jack Sparrow'],
      email: ['jack@example.com'],
      groups: ['a', 'b'],
      age: [42],
      active: [true],
    });
    expect(created.primaryIdentifier).toMatch(/^\d+$/);
    expect(created.secondaryIdentifier).toBe('jack');
    expect(created.objectClass).toBe('accounts');
    expect(created.attributes).toEqual({
      name: ['jack'],
      full_name: ['Jack Sparrow'],
      email: ['jack@example.com'],
      groups: ['a', 'b'],
      age: [42],
      active: [true],
      kind: ['person'],
      modified: [expect.stringMatching(/^\d{4}-\d\d-\d\dT/)],
    });
    expect(created.attributes.id).toBeUndefined();
    jackId = created.primaryIdentifier;
  });

  it('gets a row by key and by name, whole or some columns', async () => {
    const byId = await pg.get({ primaryIdentifier: jackId });
    expect(await pg.get({ secondaryIdentifier: 'jack' })).toEqual(byId);
    const some = await pg.get({ primaryIdentifier: jackId }, ['email']);
    expect(some.attributes).toEqual({ name: ['jack'], email: ['jack@example.com'] });
    expect(some.secondaryIdentifier).toBe('jack');
  });

  it('reads an insert from the modified column', async () => {
    const page = await pg.changesSince(POSTGRES_INITIAL_TOKEN);
    expect(page.changes).toHaveLength(1);
    expect(page.changes[0]).toMatchObject({ changeType: 'modify', primaryIdentifier: jackId, secondaryIdentifier: 'jack' });
    expect(page.changes[0].attributeDeltas).toEqual(expect.arrayContaining([{ path: 'groups', replace: ['a', 'b'] }]));
    tokenAfterCreate = page.token;
    expect(await pg.latestToken()).toBe(tokenAfterCreate);
  });

  it('modifies array columns by add, delete and replace, and scalars by replace', async () => {
    const added = await pg.modify(jackId, [{ path: 'groups', add: ['c', 'b'], delete: ['a'] }]);
    expect(added.attributes.groups).toEqual(['b', 'c']);
    const replaced = await pg.modify(jackId, [
      { path: 'groups', replace: ['x', 'y'] },
      { path: 'full_name', replace: ['Captain Jack'] },
      { path: 'age', replace: [] },
    ]);
    expect(replaced.attributes).toMatchObject({ groups: ['x', 'y'], full_name: ['Captain Jack'], age: [] });
    const cleared = await pg.modify(jackId, [{ path: 'groups', replace: [] }]);
    expect(cleared.attributes.groups).toEqual([]);
  });

  it('renames by the __NAME__ path or the name column; the key stays', async () => {
    const renamed = await pg.modify(jackId, [{ path: '__NAME__', replace: ['captain'] }]);
    expect(renamed.secondaryIdentifier).toBe('captain');
    expect(renamed.primaryIdentifier).toBe(jackId);
    const back = await pg.modify(jackId, [{ path: 'name', replace: ['jack'] }]);
    expect(back.secondaryIdentifier).toBe('jack');
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

  it('deletes by key; a delete leaves nothing in the changelog', async () => {
    const temp = await pg.create('temp', {});
    const token = await pg.latestToken();
    await pg.delete(temp.primaryIdentifier);
    await expectKind(pg.get({ primaryIdentifier: temp.primaryIdentifier }), 'not-found');
    expect((await pg.changesSince(token)).changes).toEqual([]);
  });

  it('refuses changes without a modified column', async () => {
    const plain = connect({ modifiedColumn: undefined });
    await expectKind(plain.changesSince(POSTGRES_INITIAL_TOKEN), 'configuration');
    await expectKind(plain.latestToken(), 'configuration');
  });

  it('pages through the table by key', async () => {
    for (let i = 0; i < 25; i++) await pg.create(`user${String(i).padStart(2, '0')}`, { groups: ['staff'] });
    const total = Number(await admin(async (c) => (await c.query<{ n: string }>('SELECT count(*) AS n FROM accounts')).rows[0].n));
    const names: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await pg.search({ cursor, pageSize: 10 });
      sizes.push(page.objects.length);
      names.push(...page.objects.map((o) => o.secondaryIdentifier));
      cursor = page.cursor;
    } while (cursor);
    expect(names).toHaveLength(total);
    expect(new Set(names).size).toBe(total);
    expect(sizes.slice(0, -1).every((s) => s === 10)).toBe(true);
    expect(sizes[sizes.length - 1]).toBe(total % 10 || 10);
    const ids = (await pg.search({ pageSize: total })).objects.map((o) => Number(o.primaryIdentifier));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('reports already-exists, not-found and schema violations', async () => {
    const dup = await expectKind(pg.create('jack', {}), 'already-exists');
    expect(dup.nativeCode).toBe('23505');
    await expectKind(pg.get({ primaryIdentifier: '999999' }), 'not-found');
    await expectKind(pg.get({ primaryIdentifier: 'not-a-number' }), 'not-found');
    await expectKind(pg.get({ secondaryIdentifier: 'nobody' }), 'not-found');
    await expectKind(pg.modify('999999', [{ path: 'full_name', replace: ['x'] }]), 'not-found');
    await expectKind(pg.delete('999999'), 'not-found');

    const unknown = await expectKind(pg.create('bad1', { no_such_column: ['x'] }), 'schema-violation');
    expect(unknown.message).toContain('no_such_column');
    const injection = 'name") VALUES (\'x\'); DROP TABLE accounts; --';
    await expectKind(pg.modify(jackId, [{ path: injection, replace: ['x'] }]), 'schema-violation');
    await expectKind(pg.create('bad2', { email: ['no-at-sign'] }), 'schema-violation'); // 23514
    await expectKind(pg.create('bad3', { age: ['not a number'] }), 'schema-violation'); // 22P02
    await expectKind(pg.modify(jackId, [{ path: 'kind', replace: [] }]), 'schema-violation'); // 23502
    await expectKind(pg.create('bad4', { full_name: ['one', 'two'] }), 'schema-violation'); // single-valued
    expect((await pg.get({ secondaryIdentifier: 'jack' })).primaryIdentifier).toBe(jackId);
  });

  it('reports wrong credentials and a missing table as configuration errors that never show a password', async () => {
    const wrong = connect({ password: { env: 'TALLY_TEST_PG_WRONG_PASSWORD' } });
    const e = await expectKind(wrong.testConnection(), 'configuration');
    expect(e.nativeCode).toBe('28P01');
    expectNoSecret(e);
    expectNoSecret(await expectKind(wrong.get({ secondaryIdentifier: 'jack' }), 'configuration'));

    const missing = connect({ password: { env: 'TALLY_TEST_PG_UNSET_VARIABLE' } });
    expect((await expectKind(missing.testConnection(), 'configuration')).message).toContain('TALLY_TEST_PG_UNSET_VARIABLE');

    await expectKind(connect({ table: 'no_such_table' }).testConnection(), 'configuration');
    await expectKind(connect({ secondaryIdentifier: 'login' }).testConnection(), 'configuration');

    expect(JSON.stringify(pg)).not.toContain(PASSWORD);
    expect(String(pg)).not.toContain(PASSWORD);
  });

  it('reports a stopped server as a communication error and works again once it is back', async () => {
    const cursor = (await pg.search({ pageSize: 10 })).cursor;
    const token = await pg.latestToken();
    await server.stop();

    const errors = [
      await expectKind(pg.get({ primaryIdentifier: jackId }), 'communication'),
      await expectKind(pg.create('during-outage', {}), 'communication'),
      await expectKind(pg.modify(jackId, [{ path: 'full_name', replace: ['x'] }]), 'communication'),
      await expectKind(pg.delete(jackId), 'communication'),
      await expectKind(pg.search({ cursor, pageSize: 10 }), 'communication'),
      await expectKind(pg.changesSince(token), 'communication'),
      await expectKind(pg.testConnection(), 'communication'),
      await expectKind(connect().testConnection(), 'communication'),
    ];
    errors.forEach(expectNoSecret);

    await server.restart();
    await pg.testConnection();
    const modified = await pg.modify(jackId, [{ path: 'full_name', replace: ['back again'] }]);
    expect(modified.attributes.full_name).toEqual(['back again']);
    expect((await pg.search({ cursor, pageSize: 10 })).objects).toHaveLength(10);
    expect((await pg.changesSince(token)).changes.map((c) => c.primaryIdentifier)).toEqual([jackId]);
  });
});
