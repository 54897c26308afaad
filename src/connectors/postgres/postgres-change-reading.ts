/**
 * Reading PostgreSQL changes from the table's modified column: rows whose (modified, key) is after a
 * token, in that order. Only inserts and updates are seen (a deleted row leaves nothing behind:
 * reconciliation finds deletions), and a row written by a transaction that commits after a
 * later-stamped one was read can be missed.
 */
import { ConnectorError } from '../connector-errors';
import type { ChangesPage, ConnectorChange } from '../connector-types';
import { TALLY_APPLICATION_NAME, type PostgresContext } from './postgres-connection';
import { keyCast, toObject, TOKEN_KEY, TOKEN_MODIFIED, type Row } from './postgres-reading';
import { column, quoteIdent } from './postgres-sql';
import { POSTGRES_INITIAL_TOKEN, type ChangeToken, type TableCatalog } from './postgres-types';

function modifiedColumn(ctx: PostgresContext, cat: TableCatalog): string {
  const { config, tableName } = ctx;
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

/** A row as a change: its whole latest state, every column replaced. */
function rowToChange(ctx: PostgresContext, row: Row): ConnectorChange {
  const object = toObject(ctx, row);
  return {
    changeType: 'modify',
    primaryIdentifier: object.primaryIdentifier,
    secondaryIdentifier: object.secondaryIdentifier,
    attributeDeltas: Object.entries(object.attributes).map(([path, values]) => ({ path, replace: values })),
    token: encodeToken({ modified: String(row[TOKEN_MODIFIED]), key: String(row[TOKEN_KEY]) }),
  };
}

export async function changesSince(ctx: PostgresContext, token: string, limit?: number): Promise<ChangesPage> {
  const { config, pk, table } = ctx;
  const after = decodeToken(token);
  return ctx.connection.run(`changes since ${token}`, async (cat) => {
    const m = modifiedColumn(ctx, cat);
    const mCast = column(cat, config.modifiedColumn!, ctx.tableName).castType;
    const select = `SELECT *, ${m}::text AS ${quoteIdent(TOKEN_MODIFIED)}, ${pk}::text AS ${quoteIdent(TOKEN_KEY)} FROM ${table}`;
    const order = `ORDER BY ${m}, ${pk} LIMIT $1`;
    const { pool } = ctx.connection;
    const { rows } = after
      ? await pool.query<Row>(`${select} WHERE (${m}, ${pk}) > ($2::${mCast}, $3::${keyCast(ctx, cat)}) ${order}`, [
          limit ?? config.pageSize,
          after.modified,
          after.key,
        ])
      : await pool.query<Row>(`${select} WHERE ${m} IS NOT NULL ${order}`, [limit ?? config.pageSize]);
    const byTally = (row: Row) => !!config.modifiedByColumn && row[config.modifiedByColumn] === TALLY_APPLICATION_NAME;
    const all = rows.map((row) => ({ row, change: rowToChange(ctx, row) }));
    // The position moves past Tally's own writes too.
    return {
      changes: all.filter(({ row }) => !byTally(row)).map(({ change }) => change),
      token: all.length > 0 ? all[all.length - 1].change.token : token,
    };
  });
}

export async function latestToken(ctx: PostgresContext): Promise<string> {
  const { pk, table } = ctx;
  return ctx.connection.run(`latest change of ${ctx.tableName}`, async (cat) => {
    const m = modifiedColumn(ctx, cat);
    const { rows } = await ctx.connection.pool.query<{ modified: string; key: string }>(
      `SELECT ${m}::text AS modified, ${pk}::text AS key FROM ${table} WHERE ${m} IS NOT NULL ORDER BY ${m} DESC, ${pk} DESC LIMIT 1`,
    );
    return rows.length > 0 ? encodeToken(rows[0]) : POSTGRES_INITIAL_TOKEN;
  });
}
