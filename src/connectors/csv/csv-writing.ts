/**
 * Writing rows of the CSV connector's file: create, modify (rename included), delete. Each write takes
 * the file's lock, streams the file into a temporary copy with the change made, and renames the copy
 * over the file.
 */
import { randomUUID } from 'node:crypto';
import type { AttributeDelta, AttributeValue, Attributes, ResourceObject } from '../../schema/objects';
import { applyDelta } from '../attribute-deltas';
import { ConnectorError } from '../connector-errors';
import { hashedPasswords } from '../password-hash';
import { columnOf, fieldOf, fieldValues, toObject, type CsvColumns } from './csv-columns';
import { replaceFile, run, type CsvContext } from './csv-file';
import { underLock } from './csv-lock';
import { recordOwnWrites, rowDigest, type OwnWrite } from './csv-own-writes';
import { findRow, rowText } from './csv-reading';
import { NAME_PATH, type CsvRow } from './csv-types';

/** The field a column stores these values as: passwords hashed. */
function field(ctx: CsvContext, columns: CsvColumns, column: number, values: readonly AttributeValue[]): string {
  const stored = column === columns.password ? (hashedPasswords(values, 'SSHA256') as AttributeValue[]) : values;
  return fieldOf(ctx.config, columns.names[column], stored, ctx.file);
}

function requireName(ctx: CsvContext, columns: CsvColumns, fields: readonly string[]): void {
  if (fields[columns.name] === '') throw new ConnectorError('schema-violation', `no value for the name column ${columns.names[columns.name]} of ${ctx.file}`);
}

/** The unique values and names these rows claim; two of them claiming the same one is already-exists. */
function claims(columns: CsvColumns, rows: ReadonlyArray<readonly string[]>): Map<number, Set<string>> {
  const claimed = new Map([...new Set([columns.unique, columns.name])].map((i) => [i, new Set<string>()]));
  for (const fields of rows) {
    for (const [i, values] of claimed) {
      if (values.has(fields[i])) throw new ConnectorError('already-exists', `${columns.names[i]}=${fields[i]} is given twice`);
      values.add(fields[i]);
    }
  }
  return claimed;
}

/** The other row as it is, unless it already holds a claimed unique value or name. */
function refuseTaken(ctx: CsvContext, columns: CsvColumns, claimed: ReadonlyMap<number, ReadonlySet<string>>, other: CsvRow): readonly string[] {
  for (const [i, values] of claimed) {
    if (values.has(other.fields[i])) throw new ConnectorError('already-exists', `${columns.names[i]}=${other.fields[i]} is taken by another row of ${ctx.file}`);
  }
  return other.fields;
}

function newRow(ctx: CsvContext, columns: CsvColumns, name: string, attributes: Attributes): string[] {
  const fields = columns.names.map(() => '');
  for (const [attribute, values] of Object.entries(attributes)) {
    const i = columnOf(columns, attribute, ctx.file);
    fields[i] = field(ctx, columns, i, values);
  }
  fields[columns.name] = name;
  fields[columns.unique] ||= randomUUID();
  requireName(ctx, columns, fields);
  return fields;
}

/** Rows appended in one rewrite of the file, all or none. */
export async function createRows(ctx: CsvContext, objects: ReadonlyArray<{ secondaryIdentifier: string; attributes: Attributes }>): Promise<ResourceObject[]> {
  if (objects.length === 0) return [];
  const what = objects.length === 1 ? objects[0].secondaryIdentifier : `${objects.length} rows`;
  return run(ctx, `create ${what} in ${ctx.file}`, () =>
    underLock(ctx.file, ctx.lockTimeoutMs, async () => {
      let rows: string[][] = [];
      const columns = await replaceFile(
        ctx,
        (columns) => {
          rows = objects.map((o) => newRow(ctx, columns, o.secondaryIdentifier, o.attributes));
          const claimed = claims(columns, rows);
          return { row: (row) => refuseTaken(ctx, columns, claimed, row), end: () => rows };
        },
        (columns) => recordOwnWrites(ctx, rows.map((fields) => [fields[columns.unique], rowDigest(columns, fields)])),
      );
      return rows.map((fields) => toObject(ctx.config, columns, fields, ctx.objectClass));
    }),
  );
}

/** The row's fields with the deltas applied; `__NAME__` is the name column. */
function modifiedFields(ctx: CsvContext, columns: CsvColumns, fields: readonly string[], deltas: readonly AttributeDelta[]): string[] {
  const byColumn = new Map<number, AttributeDelta[]>();
  for (const d of deltas) {
    const i = d.path === NAME_PATH ? columns.name : columnOf(columns, d.path, ctx.file);
    byColumn.set(i, [...(byColumn.get(i) ?? []), d]);
  }
  const out = [...fields];
  for (const [i, ds] of byColumn) {
    const before = fieldValues(ctx.config, columns.names[i], fields[i]);
    const after = ds.reduce<AttributeValue[]>((values, d) => applyDelta(values, d), before);
    const changed = after.length !== before.length || after.some((v, k) => String(v) !== before[k]);
    if (changed) out[i] = field(ctx, columns, i, after);
  }
  requireName(ctx, columns, out);
  return out;
}

/** A modify that changes nothing writes nothing. */
export async function modifyRow(ctx: CsvContext, primaryIdentifier: string, deltas: AttributeDelta[]): Promise<ResourceObject> {
  const what = rowText(ctx, { primaryIdentifier });
  return run(ctx, `modify ${what} in ${ctx.file}`, () =>
    underLock(ctx.file, ctx.lockTimeoutMs, async () => {
      const { columns, row } = await findRow(ctx, { primaryIdentifier });
      if (!row) throw new ConnectorError('not-found', `no row ${what}`);
      const fields = modifiedFields(ctx, columns, row.fields, deltas);
      if (fields.every((f, i) => f === row.fields[i])) return toObject(ctx.config, columns, row.fields, ctx.objectClass);
      const unique = fields[columns.unique];
      const claimed = claims(columns, [fields]);
      await replaceFile(
        ctx,
        () => ({ row: (other) => (other.fields[columns.unique] === primaryIdentifier ? fields : refuseTaken(ctx, columns, claimed, other)) }),
        () => recordOwnWrites(ctx, [[unique, rowDigest(columns, fields)], ...(unique !== primaryIdentifier ? ([[primaryIdentifier, null]] as OwnWrite[]) : [])]),
      );
      return toObject(ctx.config, columns, fields, ctx.objectClass);
    }),
  );
}

export async function deleteRow(ctx: CsvContext, primaryIdentifier: string): Promise<void> {
  const what = rowText(ctx, { primaryIdentifier });
  await run(ctx, `delete ${what} from ${ctx.file}`, () =>
    underLock(ctx.file, ctx.lockTimeoutMs, () =>
      replaceFile(
        ctx,
        (columns) => {
          let found = false;
          return {
            row: (row) => {
              const match = row.fields[columns.unique] === primaryIdentifier;
              found ||= match;
              return match ? undefined : row.fields;
            },
            end: () => {
              if (!found) throw new ConnectorError('not-found', `no row ${what}`);
              return [];
            },
          };
        },
        () => recordOwnWrites(ctx, [[primaryIdentifier, null]]),
      ),
    ),
  );
}
