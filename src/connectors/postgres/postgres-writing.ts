/** Writing rows of the PostgreSQL connector's table: create (one or many in one INSERT), modify (rename included), delete. */
import type { AttributeDelta, AttributeValue, Attributes, ResourceObject } from '../../schema/objects';
import { applyDelta } from '../attribute-deltas';
import { ConnectorError } from '../connector-errors';
import { hashedPasswords } from '../password-hash';
import type { PostgresContext } from './postgres-connection';
import { notFoundOnBadKey } from './postgres-errors';
import { keyCast, keyText, toObject, type Row } from './postgres-reading';
import { column, quoteIdent, toAttributeValues, toColumnValue } from './postgres-sql';
import { NAME_PATH, type TableCatalog } from './postgres-types';

/** What a column stores: passwords hashed. */
function stored(ctx: PostgresContext, columnName: string, values: readonly AttributeValue[]): AttributeValue[] {
  return columnName === ctx.config.passwordColumn ? (hashedPasswords(values, 'SSHA256') as AttributeValue[]) : [...values];
}

function insertColumns(ctx: PostgresContext, cat: TableCatalog, name: string, attributes: Attributes): { names: string[]; values: unknown[]; casts: string[] } {
  const { tableName } = ctx;
  const row = new Map<string, unknown>();
  for (const [attr, values] of Object.entries(attributes)) {
    const c = column(cat, attr, tableName);
    row.set(c.name, toColumnValue(c, stored(ctx, c.name, values), tableName));
  }
  row.set(ctx.config.secondaryIdentifier, name);
  const names = [...row.keys()];
  return { names, values: [...row.values()], casts: names.map((n) => column(cat, n, tableName).castType) };
}

export async function createRow(ctx: PostgresContext, name: string, attributes: Attributes): Promise<ResourceObject> {
  return ctx.connection.run(`create ${name} in ${ctx.tableName}`, async (cat) => {
    const { names, values, casts } = insertColumns(ctx, cat, name, attributes);
    const { rows } = await ctx.connection.pool.query<Row>(
      `INSERT INTO ${ctx.table} (${names.map(quoteIdent).join(', ')}) VALUES (${casts.map((c, i) => `$${i + 1}::${c}`).join(', ')}) RETURNING *`,
      values,
    );
    return toObject(ctx, rows[0]);
  });
}

export async function createRows(ctx: PostgresContext, objects: ReadonlyArray<{ secondaryIdentifier: string; attributes: Attributes }>): Promise<ResourceObject[]> {
  if (objects.length === 0) return [];
  const { config, tableName } = ctx;
  return ctx.connection.run(`create ${objects.length} rows in ${tableName}`, async (cat) => {
    const rows = objects.map((o) => insertColumns(ctx, cat, o.secondaryIdentifier, o.attributes));
    const names = [...new Set(rows.flatMap((r) => r.names))];
    const casts = names.map((n) => column(cat, n, tableName).castType);
    const values: unknown[] = [];
    const tuples = rows.map((r) => {
      const byName = new Map(r.names.map((n, i) => [n, r.values[i]]));
      // A column this row doesn't set takes its default, as in a one-row INSERT that leaves it out.
      return `(${names.map((n, i) => (byName.has(n) ? `$${values.push(byName.get(n))}::${casts[i]}` : 'DEFAULT')).join(', ')})`;
    });
    const { rows: inserted } = await ctx.connection.pool.query<Row>(
      `INSERT INTO ${ctx.table} (${names.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')} RETURNING *`,
      values,
    );
    // RETURNING promises no order: each row is found by its name.
    const byName = new Map(inserted.map((row) => [String(row[config.secondaryIdentifier]), row]));
    return objects.map((o) => toObject(ctx, byName.get(o.secondaryIdentifier)!));
  });
}

/** The row locked, its changed columns set in one UPDATE; a delta that changes nothing writes nothing. */
export async function modifyRow(ctx: PostgresContext, primaryIdentifier: string, deltas: AttributeDelta[]): Promise<ResourceObject> {
  const { config, tableName, table, pk } = ctx;
  return ctx.connection.run(`modify ${primaryIdentifier} in ${tableName}`, async (cat) => {
    const byColumn = new Map<string, AttributeDelta[]>();
    for (const d of deltas) {
      const name = d.path === NAME_PATH ? config.secondaryIdentifier : column(cat, d.path, tableName).name;
      byColumn.set(name, [...(byColumn.get(name) ?? []), d]);
    }
    if ([...byColumn.values()].every((ds) => ds.every(isPureReplace))) return replaceColumns(ctx, cat, primaryIdentifier, byColumn);
    return ctx.connection.transaction(async (client) => {
      const current = await client
        .query<Row>(`SELECT * FROM ${table} WHERE ${pk} = $1::${keyCast(ctx, cat)} FOR UPDATE`, [primaryIdentifier])
        .catch((e: unknown) => notFoundOnBadKey(e, keyText(ctx, primaryIdentifier), tableName));
      if (current.rows.length === 0) throw new ConnectorError('not-found', `no row ${keyText(ctx, primaryIdentifier)} in ${tableName}`);
      const sets: string[] = [];
      const params: unknown[] = [primaryIdentifier];
      for (const [name, ds] of byColumn) {
        const c = column(cat, name, tableName);
        const before = toAttributeValues(current.rows[0][name]);
        const after = stored(ctx, name, ds.reduce((vals, d) => applyDelta(vals, d), before));
        if (after.length === before.length && after.every((v, i) => String(v) === String(before[i]))) continue;
        params.push(toColumnValue(c, after, tableName));
        sets.push(`${quoteIdent(c.name)} = $${params.length}::${c.castType}`);
      }
      if (sets.length === 0) return toObject(ctx, current.rows[0]);
      const { rows } = await client.query<Row>(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${pk} = $1::${keyCast(ctx, cat)} RETURNING *`, params);
      return toObject(ctx, rows[0]);
    });
  });
}

const isPureReplace = (d: AttributeDelta) => d.replace !== undefined && !d.add?.length && !d.delete?.length;

/**
 * Columns given whole: one UPDATE that changes only a row whose values differ (no read first, no
 * transaction); a row it did not change is read to tell "as asked already" from "not there".
 */
async function replaceColumns(ctx: PostgresContext, cat: TableCatalog, primaryIdentifier: string, byColumn: Map<string, AttributeDelta[]>): Promise<ResourceObject> {
  const { table, pk, tableName } = ctx;
  const params: unknown[] = [primaryIdentifier];
  const sets: string[] = [];
  const differs: string[] = [];
  for (const [name, ds] of byColumn) {
    const c = column(cat, name, tableName);
    params.push(toColumnValue(c, stored(ctx, name, ds.reduce((vals, d) => applyDelta(vals, d), [] as AttributeValue[])), tableName));
    const value = `$${params.length}::${c.castType}`;
    sets.push(`${quoteIdent(c.name)} = ${value}`);
    differs.push(`${quoteIdent(c.name)} IS DISTINCT FROM ${value}`);
  }
  const key = `${pk} = $1::${keyCast(ctx, cat)}`;
  const { rows } = await ctx.connection.pool
    .query<Row>(`UPDATE ${table} SET ${sets.join(', ')} WHERE ${key} AND (${differs.join(' OR ')}) RETURNING *`, params)
    .catch((e: unknown) => notFoundOnBadKey(e, keyText(ctx, primaryIdentifier), tableName));
  if (rows.length > 0) return toObject(ctx, rows[0]);
  const current = await ctx.connection.pool.query<Row>(`SELECT * FROM ${table} WHERE ${key}`, [primaryIdentifier]);
  if (current.rows.length === 0) throw new ConnectorError('not-found', `no row ${keyText(ctx, primaryIdentifier)} in ${tableName}`);
  return toObject(ctx, current.rows[0]);
}

export async function deleteRow(ctx: PostgresContext, primaryIdentifier: string): Promise<void> {
  const { tableName } = ctx;
  await ctx.connection.run(`delete ${primaryIdentifier} from ${tableName}`, async (cat) => {
    const { rowCount } = await ctx.connection.pool
      .query(`DELETE FROM ${ctx.table} WHERE ${ctx.pk} = $1::${keyCast(ctx, cat)}`, [primaryIdentifier])
      .catch((e: unknown) => notFoundOnBadKey(e, keyText(ctx, primaryIdentifier), tableName));
    if (rowCount === 0) throw new ConnectorError('not-found', `no row ${keyText(ctx, primaryIdentifier)} in ${tableName}`);
  });
}
