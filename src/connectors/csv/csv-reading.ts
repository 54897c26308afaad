/** Reading rows of the CSV connector's file: get, the paged search (the file streamed from the cursor's position), the schema (the header). */
import type { ResourceObject } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { SearchPage } from '../connector-types';
import { requireIdentifier, type ObjectIdentifiers } from '../identifiers';
import { decodeCursor, encodeCursor } from '../search-cursor';
import { toObject, type CsvColumns } from './csv-columns';
import { fileVersion, openFile, run, scanRows, type CsvContext } from './csv-file';
import type { CsvRow, FilePosition } from './csv-types';

/** The row an identifier names, for messages: `id=42`. */
export function rowText(ctx: CsvContext, identifiers: ObjectIdentifiers): string {
  const { config } = ctx;
  return identifiers.primaryIdentifier !== undefined
    ? `${config.uniqueAttribute}=${identifiers.primaryIdentifier}`
    : `${config.nameAttribute ?? config.uniqueAttribute}=${identifiers.secondaryIdentifier}`;
}

/** The row with this unique value (or, without one, this name), read until it is found. */
export async function findRow(ctx: CsvContext, identifiers: ObjectIdentifiers): Promise<{ columns: CsvColumns; row?: CsvRow }> {
  let found: CsvRow | undefined;
  const columns = await scanRows(ctx, ctx.file, (row, cols) => {
    const [column, value] = identifiers.primaryIdentifier !== undefined ? [cols.unique, identifiers.primaryIdentifier] : [cols.name, identifiers.secondaryIdentifier];
    if (row.fields[column] === value) found = row;
    return found !== undefined;
  });
  return { columns, row: found };
}

export async function getRow(ctx: CsvContext, identifiers: ObjectIdentifiers, attributesToGet?: string[]): Promise<ResourceObject> {
  requireIdentifier(identifiers);
  const what = rowText(ctx, identifiers);
  return run(ctx, `get ${what} from ${ctx.file}`, async () => {
    const { columns, row } = await findRow(ctx, identifiers);
    if (!row) throw new ConnectorError('not-found', `no row ${what}`);
    return toObject(ctx.config, columns, row.fields, ctx.objectClass, attributesToGet);
  });
}

interface SearchPosition extends FilePosition {
  /** Rows handed out so far: where to continue in a file that has been replaced since. */
  row: number;
  version: string;
}

const isSearchPosition = (c: unknown): c is SearchPosition => {
  const p = c as Partial<SearchPosition> | null;
  return typeof p?.offset === 'number' && typeof p.line === 'number' && typeof p.row === 'number' && typeof p.version === 'string';
};

/** Pages in file order; the cursor is the byte after the last row handed out, so any connector can continue it. */
export async function searchRows(ctx: CsvContext, options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }): Promise<SearchPage> {
  const pageSize = options.pageSize ?? ctx.config.pageSize;
  return run(ctx, `search ${ctx.file}`, async () => {
    const at = options.cursor === undefined ? undefined : decodeCursor(options.cursor, isSearchPosition);
    const { version } = await fileVersion(ctx.file);
    const sameFile = at?.version === version;
    let skip = at && !sameFile ? at.row : 0;
    const page: CsvRow[] = [];
    let more = false;
    const columns = await scanRows(
      ctx,
      ctx.file,
      (row) => {
        if (skip > 0) skip--;
        else if (page.length < pageSize) page.push(row);
        else more = true;
        return more;
      },
      { from: sameFile ? at : undefined, positions: true },
    );
    const last = page[page.length - 1];
    return {
      objects: page.map((row) => toObject(ctx.config, columns, row.fields, ctx.objectClass, options.attributesToGet)),
      cursor: more ? encodeCursor({ ...last.position!, row: (at?.row ?? 0) + page.length, version } satisfies SearchPosition) : undefined,
    };
  });
}

export async function readSchema(ctx: CsvContext): Promise<{ objectClass: string; attributes: string[] }> {
  return run(ctx, `read the header of ${ctx.file}`, async () => {
    const { columns } = await openFile(ctx);
    return { objectClass: ctx.objectClass, attributes: columns.names.filter((_, i) => i !== columns.unique || columns.unique === columns.name) };
  });
}

/** The header's columns, whatever the object classes. */
export async function attributesOf(ctx: CsvContext): Promise<{ attributes: string[]; unknownClasses: string[] }> {
  return run(ctx, `read the header of ${ctx.file}`, async () => ({ attributes: [...(await openFile(ctx)).columns.names], unknownClasses: [] }));
}
