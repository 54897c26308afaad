/** SQL text for the table connector: identifier quoting, the column catalog, value conversion. */
import type { Pool, PoolClient } from 'pg';
import type { AttributeValue, Attributes } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { ColumnInfo, TableCatalog } from './postgres-types';

/** Quotes an identifier; callers also check names against the catalog, so this is the second guard. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new ConnectorError('schema-violation', 'identifier contains a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

export async function readCatalog(db: Pool | PoolClient, schema: string, table: string): Promise<TableCatalog> {
  const { rows } = await db.query<{ column_name: string; data_type: string; udt_schema: string; udt_name: string }>(
    `SELECT column_name, data_type, udt_schema, udt_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  if (rows.length === 0) throw new ConnectorError('configuration', `table ${schema}.${table} does not exist or has no columns`, '42P01');
  const columns = new Map<string, ColumnInfo>();
  for (const r of rows) {
    columns.set(r.column_name, {
      name: r.column_name,
      isArray: r.data_type === 'ARRAY',
      castType: `${quoteIdent(r.udt_schema)}.${quoteIdent(r.udt_name)}`,
    });
  }
  return { columns };
}

export function column(catalog: TableCatalog, name: string, table: string): ColumnInfo {
  const c = catalog.columns.get(name);
  if (!c) throw new ConnectorError('schema-violation', `unknown column ${name} in table ${table}`);
  return c;
}

function toAttributeValue(v: unknown): AttributeValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return v.toString();
  if (Object.prototype.toString.call(v) === '[object Date]') return (v as Date).toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  return JSON.stringify(v);
}

/** Arrays stay arrays, a scalar becomes [v], NULL becomes []. */
export function toAttributeValues(v: unknown): AttributeValue[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(toAttributeValue);
  return [toAttributeValue(v)];
}

/** The parameter for a column: the list for array columns, one value or NULL otherwise. */
export function toColumnValue(c: ColumnInfo, values: readonly AttributeValue[], table: string): unknown {
  if (c.isArray) return [...values];
  if (values.length > 1) {
    throw new ConnectorError('schema-violation', `column ${c.name} of ${table} is single-valued, got ${values.length} values`);
  }
  return values.length === 0 ? null : values[0];
}

export function rowAttributes(row: Record<string, unknown>, exclude: ReadonlySet<string>): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(row)) if (!exclude.has(name)) attributes[name] = toAttributeValues(value);
  return attributes;
}
