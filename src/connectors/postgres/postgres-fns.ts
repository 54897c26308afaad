/**
 * The PostgreSQL table connector: one table, one row per object, columns as attributes. A small pool
 * per connector; every name that reaches SQL text is checked against the table's catalog and quoted.
 */
import { Pool, type PoolClient } from 'pg';
import { durationToMs, type SecretRef } from '../../schema/config';
import type { AttributeDelta, AttributeValue, Attributes, ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { ChangesPage, Connector, SearchPage } from '../connector-types';
import { hashedPasswords } from '../password-hash';
import { resolveSecret } from '../secrets';
import { isPgCommunicationError, mapPgError } from './postgres-errors';
import { applyDelta, column, quoteIdent, readCatalog, rowAttributes, toAttributeValues, toColumnValue } from './postgres-sql';
import { NAME_PATH, POSTGRES_INITIAL_TOKEN, type ChangeToken, type PostgresConnectorConfig, type TableCatalog } from './postgres-types';

type SecretResolver = (ref: SecretRef) => string;
type Row = Record<string, unknown>;

/** Extra columns a change query selects: the token parts as text, never returned as attributes. */
const TOKEN_MODIFIED = '__tally_modified';
const TOKEN_KEY = '__tally_key';

/** The `application_name` of Tally's connections. */
export const TALLY_APPLICATION_NAME = 'tally';

export function createPostgresConnector(config: PostgresConnectorConfig, resolve: SecretResolver = resolveSecret): Connector {
  const timeoutMs = durationToMs(config.timeout);
  const tableName = `${config.schema}.${config.table}`;
  const table = `${quoteIdent(config.schema)}.${quoteIdent(config.table)}`;
  const pk = quoteIdent(config.primaryIdentifier);
  const nameColumn = quoteIdent(config.secondaryIdentifier);
  const hidden = new Set([
    config.primaryIdentifier,
    TOKEN_MODIFIED,
    TOKEN_KEY,
    ...(config.modifiedByColumn ? [config.modifiedByColumn] : []),
    ...(config.passwordColumn ? [config.passwordColumn] : []),
  ]);
  /** What a column stores: passwords hashed. */
  const stored = (columnName: string, values: readonly AttributeValue[]): AttributeValue[] =>
    columnName === config.passwordColumn ? (hashedPasswords(values, 'SSHA256') as AttributeValue[]) : [...values];
  /** Kept only to scrub it from error messages; never logged or returned. */
  let password: string | undefined;

  const pool = new Pool({
    host: config.host,
    port: config.port,
    database: config.database,
    user: config.user,
    // Resolved when a connection is made, so a missing secret fails the operation, not the construction.
    password: config.password
      ? () => {
          password = resolve(config.password!);
          return password;
        }
      : undefined,
    max: 4,
    idleTimeoutMillis: 10_000,
    // What a `modifiedByColumn` trigger records: Tally's own writes are recognised by it.
    application_name: TALLY_APPLICATION_NAME,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    allowExitOnIdle: true,
    // Timestamps as text in tokens are then in UTC, whatever the server's default.
    options: '-c TimeZone=UTC',
  });
  // An idle connection killed by a server shutdown must not crash the process; the pool drops it.
  pool.on('error', () => undefined);

  let catalog: Promise<TableCatalog> | undefined;
  const fail = (e: unknown, context: string) => mapPgError(e, context, [password]);

  async function tableCatalog(): Promise<TableCatalog> {
    catalog ??= readCatalog(pool, config.schema, config.table).catch((e: unknown) => {
      catalog = undefined;
      throw e;
    });
    return catalog;
  }

  async function run<T>(context: string, fn: (cat: TableCatalog) => Promise<T>): Promise<T> {
    try {
      return await fn(await tableCatalog());
    } catch (e) {
      const mapped = fail(e, context);
      // The table may have changed under us: read the catalog again next time.
      if (mapped.kind === 'configuration' || isPgCommunicationError(e)) catalog = undefined;
      throw mapped;
    }
  }

  function toObject(row: Row): ResourceObject {
    return {
      primaryIdentifier: String(row[config.primaryIdentifier]),
      secondaryIdentifier: String(row[config.secondaryIdentifier]),
      objectClass: config.table,
      attributes: rowAttributes(row, hidden),
    };
  }

  function selectList(cat: TableCatalog, attributesToGet?: string[]): string {
    if (!attributesToGet) return '*';
    const names = new Set([config.primaryIdentifier, config.secondaryIdentifier, ...attributesToGet]);
    return [...names].map((n) => quoteIdent(column(cat, n, tableName).name)).join(', ');
  }

  const pkCast = (cat: TableCatalog) => column(cat, config.primaryIdentifier, tableName).castType;

  /** A key that cannot be converted to the key column's type names no row. */
  function notFoundOnBadKey(e: unknown, what: string): never {
    const code = (e as { code?: unknown }).code;
    if (code === '22P02' || code === '22003') throw new ConnectorError('not-found', `no row ${what} in ${tableName}`);
    throw e;
  }

  async function transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  // ---- search --------------------------------------------------------------------------------

  function encodeCursor(lastKey: string): string {
    return Buffer.from(JSON.stringify({ after: lastKey })).toString('base64url');
  }

  function decodeCursor(cursor: string): string {
    try {
      const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
      if (typeof c.after === 'string') return c.after;
    } catch {
      // fall through
    }
    throw new ConnectorError('configuration', 'invalid search cursor');
  }

  async function search(options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }): Promise<SearchPage> {
    const pageSize = options.pageSize ?? config.pageSize;
    return run(`search ${tableName}`, async (cat) => {
      const select = `SELECT ${selectList(cat, options.attributesToGet)}, ${pk}::text AS ${quoteIdent(TOKEN_KEY)} FROM ${table}`;
      const { rows } = options.cursor
        ? await pool.query<Row>(`${select} WHERE ${pk} > $1::${pkCast(cat)} ORDER BY ${pk} LIMIT $2`, [decodeCursor(options.cursor), pageSize + 1])
        : await pool.query<Row>(`${select} ORDER BY ${pk} LIMIT $1`, [pageSize + 1]);
      const page = rows.slice(0, pageSize);
      const more = rows.length > pageSize;
      return {
        objects: page.map(toObject),
        cursor: more ? encodeCursor(String(page[page.length - 1][TOKEN_KEY])) : undefined,
      };
    });
  }

  // ---- changes -------------------------------------------------------------------------------

  function modifiedColumn(cat: TableCatalog): string {
    if (!config.modifiedColumn) {
      throw new ConnectorError('configuration', `table ${tableName} has no modifiedColumn configured: changes cannot be read`);
    }
    const c = cat.columns.get(config.modifiedColumn);
    if (!c) throw new ConnectorError('configuration', `modifiedColumn ${config.modifiedColumn} is not a column of ${tableName}`);
    return quoteIdent(c.name);
  }

  function encodeToken(t: ChangeToken): string {
    return JSON.stringify([t.modified, t.key]);
  }

  function decodeToken(token: string): ChangeToken | undefined {
    if (token === POSTGRES_INITIAL_TOKEN) return undefined;
    try {
      const parsed: unknown = JSON.parse(token);
      if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((x) => typeof x === 'string')) {
        return { modified: parsed[0] as string, key: parsed[1] as string };
      }
    } catch {
      // fall through
    }
    throw new ConnectorError('configuration', `not a PostgreSQL changelog token: ${token}`);
  }

  /**
   * Rows whose (modified, key) is strictly after the token, in that order. Only inserts and updates
   * are seen (a deleted row leaves nothing behind: reconciliation finds deletions), and a row written by
   * a transaction that commits after a later-stamped one was read can be missed.
   */
  async function changesSince(token: string, limit?: number): Promise<ChangesPage> {
    const after = decodeToken(token);
    return run(`changes since ${token}`, async (cat) => {
      const m = modifiedColumn(cat);
      const mCast = column(cat, config.modifiedColumn!, tableName).castType;
      const select = `SELECT *, ${m}::text AS ${quoteIdent(TOKEN_MODIFIED)}, ${pk}::text AS ${quoteIdent(TOKEN_KEY)} FROM ${table}`;
      const order = `ORDER BY ${m}, ${pk} LIMIT $1`;
      const { rows } = after
        ? await pool.query<Row>(`${select} WHERE (${m}, ${pk}) > ($2::${mCast}, $3::${pkCast(cat)}) ${order}`, [
            limit ?? config.pageSize,
            after.modified,
            after.key,
          ])
        : await pool.query<Row>(`${select} WHERE ${m} IS NOT NULL ${order}`, [limit ?? config.pageSize]);
      const byTally = (row: Row) => !!config.modifiedByColumn && row[config.modifiedByColumn] === TALLY_APPLICATION_NAME;
      const tokenOf = (row: Row) => encodeToken({ modified: String(row[TOKEN_MODIFIED]), key: String(row[TOKEN_KEY]) });
      const changes = rows.filter((row) => !byTally(row)).map((row) => {
        const object = toObject(row);
        return {
          changeType: 'modify' as const,
          primaryIdentifier: object.primaryIdentifier,
          secondaryIdentifier: object.secondaryIdentifier,
          attributeDeltas: Object.entries(object.attributes).map(([path, values]) => ({ path, replace: values })),
          token: tokenOf(row),
        };
      });
      // The position moves past Tally's own writes too.
      return { changes, token: rows.length > 0 ? tokenOf(rows[rows.length - 1]) : token };
    });
  }

  async function latestToken(): Promise<string> {
    return run(`latest change of ${tableName}`, async (cat) => {
      const m = modifiedColumn(cat);
      const { rows } = await pool.query<{ modified: string; key: string }>(
        `SELECT ${m}::text AS modified, ${pk}::text AS key FROM ${table} WHERE ${m} IS NOT NULL ORDER BY ${m} DESC, ${pk} DESC LIMIT 1`,
      );
      return rows.length > 0 ? encodeToken(rows[0]) : POSTGRES_INITIAL_TOKEN;
    });
  }

  // ---- writes --------------------------------------------------------------------------------

  function insertColumns(cat: TableCatalog, name: string, attributes: Attributes): { names: string[]; values: unknown[]; casts: string[] } {
    const row = new Map<string, unknown>();
    for (const [attr, values] of Object.entries(attributes)) {
      const c = column(cat, attr, tableName);
      row.set(c.name, toColumnValue(c, stored(c.name, values), tableName));
    }
    row.set(config.secondaryIdentifier, name);
    const names = [...row.keys()];
    return { names, values: [...row.values()], casts: names.map((n) => column(cat, n, tableName).castType) };
  }

  async function modify(primaryIdentifier: string, deltas: AttributeDelta[]): Promise<ResourceObject> {
    return run(`modify ${primaryIdentifier} in ${tableName}`, async (cat) => {
      const byColumn = new Map<string, AttributeDelta[]>();
      for (const d of deltas) {
        const name = d.path === NAME_PATH ? config.secondaryIdentifier : column(cat, d.path, tableName).name;
        byColumn.set(name, [...(byColumn.get(name) ?? []), d]);
      }
      return transaction(async (client) => {
        const current = await client
          .query<Row>(`SELECT * FROM ${table} WHERE ${pk} = $1::${pkCast(cat)} FOR UPDATE`, [primaryIdentifier])
          .catch((e: unknown) => notFoundOnBadKey(e, `${config.primaryIdentifier}=${primaryIdentifier}`));
        if (current.rows.length === 0) {
          throw new ConnectorError('not-found', `no row ${config.primaryIdentifier}=${primaryIdentifier} in ${tableName}`);
        }
        const sets: string[] = [];
        const params: unknown[] = [primaryIdentifier];
        for (const [name, ds] of byColumn) {
          const c = column(cat, name, tableName);
          const before = toAttributeValues(current.rows[0][name]);
          const after = stored(name, ds.reduce((vals, d) => applyDelta(vals, d), before));
          if (after.length === before.length && after.every((v, i) => String(v) === String(before[i]))) continue;
          params.push(toColumnValue(c, after, tableName));
          sets.push(`${quoteIdent(c.name)} = $${params.length}::${c.castType}`);
        }
        if (sets.length === 0) return toObject(current.rows[0]);
        const { rows } = await client.query<Row>(
          `UPDATE ${table} SET ${sets.join(', ')} WHERE ${pk} = $1::${pkCast(cat)} RETURNING *`,
          params,
        );
        return toObject(rows[0]);
      });
    });
  }

  // ---- the interface -------------------------------------------------------------------------

  const connector: Connector & { toString(): string; toJSON(): object } = {
    async testConnection() {
      await run(`test connection to ${config.host}:${config.port}/${config.database}`, async () => {
        await pool.query('SELECT 1');
        const fresh = await readCatalog(pool, config.schema, config.table);
        catalog = Promise.resolve(fresh);
        for (const name of [config.primaryIdentifier, config.secondaryIdentifier, ...(config.modifiedColumn ? [config.modifiedColumn] : [])]) {
          if (!fresh.columns.has(name)) throw new ConnectorError('configuration', `column ${name} is not in table ${tableName}`);
        }
      });
    },

    async schema() {
      return run(`read schema of ${tableName}`, async (cat) => ({
        objectClass: config.table,
        attributes: [...cat.columns.keys()].filter((n) => n !== config.primaryIdentifier),
      }));
    },

    async attributesOf() {
      return run(`read schema of ${tableName}`, async (cat) => ({ attributes: [...cat.columns.keys()], unknownClasses: [] }));
    },

    async get(identifiers, attributesToGet) {
      const { primaryIdentifier, secondaryIdentifier } = identifiers;
      if (primaryIdentifier === undefined && secondaryIdentifier === undefined) {
        throw new ConnectorError('configuration', 'get needs a primary or a secondary identifier');
      }
      const what =
        primaryIdentifier !== undefined
          ? `${config.primaryIdentifier}=${primaryIdentifier}`
          : `${config.secondaryIdentifier}=${secondaryIdentifier}`;
      return run(`get ${what} from ${tableName}`, async (cat) => {
        const where =
          primaryIdentifier !== undefined
            ? `${pk} = $1::${pkCast(cat)}`
            : `${nameColumn} = $1::${column(cat, config.secondaryIdentifier, tableName).castType}`;
        const { rows } = await pool
          .query<Row>(`SELECT ${selectList(cat, attributesToGet)} FROM ${table} WHERE ${where}`, [primaryIdentifier ?? secondaryIdentifier])
          .catch((e: unknown) => notFoundOnBadKey(e, what));
        if (rows.length === 0) throw new ConnectorError('not-found', `no row ${what} in ${tableName}`);
        return toObject(rows[0]);
      });
    },

    search,

    async create(name, attributes) {
      return run(`create ${name} in ${tableName}`, async (cat) => {
        const { names, values, casts } = insertColumns(cat, name, attributes);
        const { rows } = await pool.query<Row>(
          `INSERT INTO ${table} (${names.map(quoteIdent).join(', ')}) VALUES (${casts.map((c, i) => `$${i + 1}::${c}`).join(', ')}) RETURNING *`,
          values,
        );
        return toObject(rows[0]);
      });
    },

    async createMany(objects) {
      if (objects.length === 0) return [];
      return run(`create ${objects.length} rows in ${tableName}`, async (cat) => {
        const rows = objects.map((o) => insertColumns(cat, o.secondaryIdentifier, o.attributes));
        const names = [...new Set(rows.flatMap((r) => r.names))];
        const casts = names.map((n) => column(cat, n, tableName).castType);
        const values: unknown[] = [];
        const tuples = rows.map((r) => {
          const byName = new Map(r.names.map((n, i) => [n, r.values[i]]));
          // A column this row doesn't set takes its default, as in a one-row INSERT that leaves it out.
          return `(${names.map((n, i) => (byName.has(n) ? `$${values.push(byName.get(n))}::${casts[i]}` : 'DEFAULT')).join(', ')})`;
        });
        const { rows: stored } = await pool.query<Row>(
          `INSERT INTO ${table} (${names.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')} RETURNING *`,
          values,
        );
        // RETURNING promises no order: each row is found by its name.
        const byName = new Map(stored.map((row) => [String(row[config.secondaryIdentifier]), row]));
        return objects.map((o) => toObject(byName.get(o.secondaryIdentifier)!));
      });
    },

    modify,

    async delete(primaryIdentifier) {
      await run(`delete ${primaryIdentifier} from ${tableName}`, async (cat) => {
        const { rowCount } = await pool
          .query(`DELETE FROM ${table} WHERE ${pk} = $1::${pkCast(cat)}`, [primaryIdentifier])
          .catch((e: unknown) => notFoundOnBadKey(e, `${config.primaryIdentifier}=${primaryIdentifier}`));
        if (rowCount === 0) throw new ConnectorError('not-found', `no row ${config.primaryIdentifier}=${primaryIdentifier} in ${tableName}`);
      });
    },

    latestToken,
    changesSince,

    async close() {
      await pool.end().catch(() => undefined);
    },

    toString: () => `PostgresConnector(${config.user}@${config.host}:${config.port}/${config.database} ${tableName})`,
    toJSON: () => ({ type: 'postgres', host: config.host, port: config.port, database: config.database, user: config.user, table: tableName }),
  };
  return connector;
}
