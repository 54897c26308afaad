/** Reading rows of the PostgreSQL connector's table: get, the paged search by key, and the schema (the columns). */
import type { ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { SearchPage } from '../connector-types';
import { requireIdentifier, type ObjectIdentifiers } from '../identifiers';
import { decodeCursor, encodeCursor } from '../search-cursor';
import type { PostgresContext } from './postgres-connection';
import { notFoundOnBadKey } from './postgres-errors';
import { column, quoteIdent, rowAttributes } from './postgres-sql';
import type { TableCatalog } from './postgres-types';

export type Row = Record<string, unknown>;

/** Extra columns a query selects: the token parts as text, never returned as attributes. */
export const TOKEN_MODIFIED = '__tally_modified';
export const TOKEN_KEY = '__tally_key';

export function toObject(ctx: PostgresContext, row: Row): ResourceObject {
  const { config } = ctx;
  const hidden = new Set([
    config.primaryIdentifier,
    TOKEN_MODIFIED,
    TOKEN_KEY,
    ...(config.modifiedByColumn ? [config.modifiedByColumn] : []),
    ...(config.passwordColumn ? [config.passwordColumn] : []),
  ]);
  return {
    primaryIdentifier: String(row[config.primaryIdentifier]),
    secondaryIdentifier: String(row[config.secondaryIdentifier]),
    objectClass: config.table,
    attributes: rowAttributes(row, hidden),
  };
}

/** The type to cast a primary key parameter to. */
export const keyCast = (ctx: PostgresContext, cat: TableCatalog): string => column(cat, ctx.config.primaryIdentifier, ctx.tableName).castType;

/** The row a key names, for messages: `id=42`. */
export const keyText = (ctx: PostgresContext, primaryIdentifier: string): string => `${ctx.config.primaryIdentifier}=${primaryIdentifier}`;

function selectList(ctx: PostgresContext, cat: TableCatalog, attributesToGet?: string[]): string {
  if (!attributesToGet) return '*';
  const names = new Set([ctx.config.primaryIdentifier, ctx.config.secondaryIdentifier, ...attributesToGet]);
  return [...names].map((n) => quoteIdent(column(cat, n, ctx.tableName).name)).join(', ');
}

export async function getRow(
  ctx: PostgresContext,
  identifiers: ObjectIdentifiers,
  attributesToGet?: string[],
): Promise<ResourceObject> {
  const { config, tableName } = ctx;
  requireIdentifier(identifiers);
  const { primaryIdentifier, secondaryIdentifier } = identifiers;
  const what = primaryIdentifier !== undefined ? keyText(ctx, primaryIdentifier) : `${config.secondaryIdentifier}=${secondaryIdentifier}`;
  return ctx.connection.run(`get ${what} from ${tableName}`, async (cat) => {
    const where =
      primaryIdentifier !== undefined
        ? `${ctx.pk} = $1::${keyCast(ctx, cat)}`
        : `${quoteIdent(config.secondaryIdentifier)} = $1::${column(cat, config.secondaryIdentifier, tableName).castType}`;
    const { rows } = await ctx.connection.pool
      .query<Row>(`SELECT ${selectList(ctx, cat, attributesToGet)} FROM ${ctx.table} WHERE ${where}`, [primaryIdentifier ?? secondaryIdentifier])
      .catch((e: unknown) => notFoundOnBadKey(e, what, tableName));
    if (rows.length === 0) throw new ConnectorError('not-found', `no row ${what} in ${tableName}`);
    return toObject(ctx, rows[0]);
  });
}

/** The rows these keys name, in one SELECT; keys with no row are left out. */
export async function getRows(ctx: PostgresContext, primaryIdentifiers: readonly string[], attributesToGet?: string[]): Promise<ResourceObject[]> {
  if (primaryIdentifiers.length === 0) return [];
  return ctx.connection.run(`get ${primaryIdentifiers.length} rows from ${ctx.tableName}`, async (cat) => {
    const { rows } = await ctx.connection.pool.query<Row>(`SELECT ${selectList(ctx, cat, attributesToGet)} FROM ${ctx.table} WHERE ${ctx.pk} = ANY($1::${keyCast(ctx, cat)}[])`, [
      [...primaryIdentifiers],
    ]);
    return rows.map((row) => toObject(ctx, row));
  });
}

const isKeysetPosition = (c: unknown): c is { after: string } => typeof (c as { after?: unknown })?.after === 'string';

/** Pages in key order; the cursor is the last key handed out, so any connector can continue it. */
export async function searchRows(ctx: PostgresContext, options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }): Promise<SearchPage> {
  const pageSize = options.pageSize ?? ctx.config.pageSize;
  const { pk, table } = ctx;
  return ctx.connection.run(`search ${ctx.tableName}`, async (cat) => {
    const select = `SELECT ${selectList(ctx, cat, options.attributesToGet)}, ${pk}::text AS ${quoteIdent(TOKEN_KEY)} FROM ${table}`;
    const { pool } = ctx.connection;
    const { rows } = options.cursor
      ? await pool.query<Row>(`${select} WHERE ${pk} > $1::${keyCast(ctx, cat)} ORDER BY ${pk} LIMIT $2`, [
          decodeCursor(options.cursor, isKeysetPosition).after,
          pageSize + 1,
        ])
      : await pool.query<Row>(`${select} ORDER BY ${pk} LIMIT $1`, [pageSize + 1]);
    const page = rows.slice(0, pageSize);
    const more = rows.length > pageSize;
    return {
      objects: page.map((row) => toObject(ctx, row)),
      cursor: more ? encodeCursor({ after: String(page[page.length - 1][TOKEN_KEY]) }) : undefined,
    };
  });
}

export async function readSchema(ctx: PostgresContext): Promise<{ objectClass: string; attributes: string[] }> {
  return ctx.connection.run(`read schema of ${ctx.tableName}`, async (cat) => ({
    objectClass: ctx.config.table,
    attributes: [...cat.columns.keys()].filter((n) => n !== ctx.config.primaryIdentifier),
  }));
}

/** A table's columns, whatever the object classes. */
export async function attributesOf(ctx: PostgresContext): Promise<{ attributes: string[]; unknownClasses: string[] }> {
  return ctx.connection.run(`read schema of ${ctx.tableName}`, async (cat) => ({ attributes: [...cat.columns.keys()], unknownClasses: [] }));
}
