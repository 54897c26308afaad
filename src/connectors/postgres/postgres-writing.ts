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

/** The deltas by the column they change (a rename changes the name column). */
function deltasByColumn(ctx: PostgresContext, cat: TableCatalog, deltas: readonly AttributeDelta[]): Map<string, AttributeDelta[]> {
  const byColumn = new Map<string, AttributeDelta[]>();
  for (const d of deltas) {
    const name = d.path === NAME_PATH ? ctx.config.secondaryIdentifier : column(cat, d.path, ctx.tableName).name;
    byColumn.set(name, [...(byColumn.get(name) ?? []), d]);
  }
  return byColumn;
}

/** The parameter a column given whole by its deltas is set to. */
function replacedValue(ctx: PostgresContext, cat: TableCatalog, name: string, deltas: readonly AttributeDelta[]): unknown {
  return toColumnValue(column(cat, name, ctx.tableName), stored(ctx, name, deltas.reduce((vals, d) => applyDelta(vals, d), [] as AttributeValue[])), ctx.tableName);
}

/** The row locked, its changed columns set in one UPDATE; a delta that changes nothing writes nothing. */
export async function modifyRow(ctx: PostgresContext, primaryIdentifier: string, deltas: AttributeDelta[]): Promise<ResourceObject> {
  const { tableName, table, pk } = ctx;
  return ctx.connection.run(`modify ${primaryIdentifier} in ${tableName}`, async (cat) => {
    const byColumn = deltasByColumn(ctx, cat, deltas);
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
    params.push(replacedValue(ctx, cat, name, ds));
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

/**
 * Many rows' modifications: those that give columns whole, by the same columns, in one UPDATE each (no
 * read first); the others one at a time as modifyRow does them. Returns each row as stored, in order, or
 * null for a key with no row.
 */
export async function modifyRows(ctx: PostgresContext, modifications: ReadonlyArray<{ primaryIdentifier: string; deltas: AttributeDelta[] }>): Promise<Array<ResourceObject | null>> {
  const results: Array<ResourceObject | null> = new Array(modifications.length).fill(null);
  const { config, tableName, table, pk } = ctx;
  const alone: number[] = [];
  await ctx.connection.run(`modify ${modifications.length} rows in ${tableName}`, async (cat) => {
    const groups = new Map<string, Array<{ index: number; byColumn: Map<string, AttributeDelta[]> }>>();
    const keys = new Set<string>();
    modifications.forEach((m, index) => {
      const byColumn = deltasByColumn(ctx, cat, m.deltas);
      // The same row twice in one UPDATE would be changed once: the second goes alone.
      if (keys.has(m.primaryIdentifier) || ![...byColumn.values()].every((ds) => ds.every(isPureReplace))) return alone.push(index);
      keys.add(m.primaryIdentifier);
      const shape = [...byColumn.keys()].sort().join('\u0000');
      groups.set(shape, [...(groups.get(shape) ?? []), { index, byColumn }]);
    });
    for (const rows of groups.values()) {
      const names = [...rows[0].byColumn.keys()].sort();
      const casts = [keyCast(ctx, cat), ...names.map((n) => column(cat, n, tableName).castType)];
      const params: unknown[] = [];
      const tuples = rows.map(({ index, byColumn }) => {
        const values = [modifications[index].primaryIdentifier, ...names.map((n) => replacedValue(ctx, cat, n, byColumn.get(n)!))];
        return `(${values.map((v, i) => `$${params.push(v)}::${casts[i]}`).join(', ')})`;
      });
      const as = ['__tally_key', ...names].map(quoteIdent);
      const { rows: updated } = await ctx.connection.pool.query<Row>(
        `UPDATE ${table} AS t SET ${names.map((n, i) => `${quoteIdent(n)} = v.${as[i + 1]}`).join(', ')} FROM (VALUES ${tuples.join(', ')}) AS v(${as.join(', ')}) WHERE t.${pk} = v.${as[0]} RETURNING t.*`,
        params,
      );
      const byKey = new Map(updated.map((row) => [String(row[config.primaryIdentifier]), row]));
      for (const { index } of rows) {
        const row = byKey.get(modifications[index].primaryIdentifier);
        results[index] = row ? toObject(ctx, row) : null;
      }
    }
  });
  for (const index of alone) {
    const m = modifications[index];
    results[index] = await modifyRow(ctx, m.primaryIdentifier, m.deltas).catch((e: unknown) => {
      if (e instanceof ConnectorError && e.kind === 'not-found') return null;
      throw e;
    });
  }
  return results;
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
