/**
 * The CSV connector's "connection": the file, read as a stream of records (from the start or from a
 * position, never whole into memory) and replaced whole by a temporary file renamed over it, so a reader
 * sees the old file or the new one, never half of one. The context every part is given.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type Info, type Parser } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { durationToMs } from '../../schema/config';
import { csvColumns, type CsvColumns } from './csv-columns';
import { malformed, mapCsvError, parseError } from './csv-errors';
import type { CsvConnectorConfig, CsvRow, FilePosition } from './csv-types';

/** What the connector's reading, writing and change reading share. */
export interface CsvContext {
  config: CsvConnectorConfig;
  /** The file, as an absolute path. */
  file: string;
  /** The file's name without its extension. */
  objectClass: string;
  /** Where the synchronized copies are kept. */
  snapshotFolder: string;
  lockTimeoutMs: number;
  /** The snapshot last taken and the version of the file it copied: a file not replaced since needs no new copy. */
  lastSnapshot?: { version: string; name: string };
}

export function csvContext(config: CsvConnectorConfig): CsvContext {
  const file = path.resolve(config.file);
  return {
    config,
    file,
    objectClass: path.basename(file, path.extname(file)),
    snapshotFolder: path.resolve(config.snapshotFolder ?? `${file}.snapshots`),
    lockTimeoutMs: durationToMs(config.lockTimeout),
  };
}

/**
 * The file as it is now: another version once it is replaced (Tally's writes) or written to. `settled`:
 * written long enough ago that a write now would change its time (file times move by clock ticks of
 * some milliseconds: two writes of the same size within one would look alike).
 */
export async function fileVersion(file: string): Promise<{ version: string; settled: boolean }> {
  const s = await stat(file);
  return { version: `${s.ino}:${s.size}:${s.mtimeMs}`, settled: Date.now() - s.mtimeMs > 1000 };
}

/** Runs `fn`; any failure comes out as a ConnectorError saying `context`. */
export async function run<T>(ctx: CsvContext, context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapCsvError(e, context, ctx.file);
  }
}

function parser(config: CsvConnectorConfig, positions: boolean): Parser {
  return parse({
    delimiter: config.delimiter,
    quote: config.quote,
    escape: config.quote,
    encoding: config.encoding,
    comment: config.commentMarker,
    comment_no_infix: true,
    skip_empty_lines: true,
    relax_column_count: true,
    bom: true,
    // Positions cost the parser ten times its time: asked only for a page, a header, a line to report.
    info: positions,
  });
}

type Parsed = string[] | { record: string[]; info: Info };

function rowAt(from: FilePosition, parsed: Parsed, index: number): CsvRow {
  if (Array.isArray(parsed)) return { fields: parsed, index };
  const { record, info } = parsed;
  return { fields: record, index, position: { line: from.line + info.lines, offset: from.offset + info.bytes } };
}

/**
 * Visits the records from `from` until `visit` says stop (returns true); `positions`: with where each
 * ends. Events, not async iteration: about a million rows a second.
 */
function scanRecords(config: CsvConnectorConfig, file: string, from: FilePosition, positions: boolean, visit: (row: CsvRow) => boolean | void): Promise<void> {
  return new Promise((resolve, reject) => {
    const input = createReadStream(file, { start: from.offset });
    const records = parser(config, positions);
    let done = false;
    let index = 0;
    const finish = (e?: unknown) => {
      if (done) return;
      done = true;
      input.destroy();
      records.destroy();
      if (e === undefined) resolve();
      else reject(parseError(e, file, from.line + 1));
    };
    input.on('error', finish);
    records.on('error', finish);
    records.on('end', () => finish());
    records.on('data', (parsed: Parsed) => {
      if (done) return;
      try {
        if (visit(rowAt(from, parsed, index++))) finish();
      } catch (e) {
        finish(e);
      }
    });
    input.pipe(records);
  });
}

/** A row the file has wrong (thrown by a visit); its line is looked up when it is reported. */
export class MalformedRow extends Error {
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/** A row with a field per column and a unique value. */
function checked(ctx: CsvContext, columns: CsvColumns, row: CsvRow): CsvRow {
  if (row.fields.length !== columns.names.length) {
    throw new MalformedRow(row.index, `expected ${columns.names.length} fields (${columns.names.join(', ')}), got ${row.fields.length}`);
  }
  if (row.fields[columns.unique] === '') throw new MalformedRow(row.index, `no value in the ${ctx.config.uniqueAttribute} column`);
  return row;
}

/** A malformed row as `malformed` at its line, read again to find it; any other error as it is. */
async function reported(ctx: CsvContext, e: unknown, file: string, from: FilePosition): Promise<unknown> {
  if (!(e instanceof MalformedRow)) return e;
  let line = from.line + 1;
  await scanRecords(ctx.config, file, from, true, (row) => {
    line = row.position!.line;
    return row.index === e.index;
  });
  return malformed(file, line, e.problem);
}

export interface CsvFile {
  columns: CsvColumns;
  /** The position just after the header: where the rows start. */
  start: FilePosition;
}

/** The file's columns (its header, or the configuration's) and where its rows start. */
export async function openFile(ctx: CsvContext, file = ctx.file): Promise<CsvFile> {
  const { config } = ctx;
  if (!config.headerExists) return { columns: csvColumns(config, config.columns ?? [], file, 0), start: { offset: 0, line: 0 } };
  let header: CsvRow | undefined;
  await scanRecords(config, file, { offset: 0, line: 0 }, true, (row) => {
    header = row;
    return true;
  });
  if (!header) throw malformed(file, 1, 'the file has no header line');
  const start = header.position!;
  return { columns: csvColumns(config, header.fields, file, start.line), start };
}

/**
 * Visits the file's rows (from the first, or from `from`) until `visit` says stop; returns the columns.
 * `positions`: each row with where it ends (slower: for a page, not a whole file).
 */
export async function scanRows(
  ctx: CsvContext,
  file: string,
  visit: (row: CsvRow, columns: CsvColumns) => boolean | void,
  options: { from?: FilePosition; positions?: boolean } = {},
): Promise<CsvColumns> {
  const { columns, start } = await openFile(ctx, file);
  const from = options.from ?? start;
  try {
    await scanRecords(ctx.config, file, from, options.positions ?? false, (row) => visit(checked(ctx, columns, row), columns));
  } catch (e) {
    throw await reported(ctx, e, file, from);
  }
  return columns;
}

/** How a write changes the file: each row kept (returned as it is), changed or left out (undefined), rows added at the end. */
export interface RowEdit {
  row(row: CsvRow): readonly string[] | undefined;
  end?(): ReadonlyArray<readonly string[]>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Streams the file through `edit` into a temporary file beside it, flushed to disk, then renamed over it.
 * `beforeRename` runs once the new content is complete (nothing is renamed if it fails or `edit` throws).
 */
export async function replaceFile(ctx: CsvContext, edit: (columns: CsvColumns) => RowEdit, beforeRename: (columns: CsvColumns) => Promise<void>): Promise<CsvColumns> {
  const { config, file } = ctx;
  const { columns, start } = await openFile(ctx);
  const rowEdit = edit(columns);
  let index = 0;
  const editing = new Transform({
    objectMode: true,
    transform(parsed: Parsed, _encoding, done) {
      try {
        const out = rowEdit.row(checked(ctx, columns, rowAt(start, parsed, index++)));
        done(null, out);
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done) {
      try {
        for (const row of rowEdit.end?.() ?? []) this.push(row);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  if (config.headerExists) editing.push(columns.names);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await pipeline(
      createReadStream(file, { start: start.offset }),
      parser(config, false),
      editing,
      stringify({
        delimiter: config.delimiter,
        quote: config.quote,
        escape: config.quote,
        record_delimiter: '\n',
        // A field starting with the comment marker would be read back as a comment line.
        quoted_match: new RegExp(`^${escapeRegExp(config.commentMarker)}`),
        // Text out, so the file stream writes it in the file's encoding.
        encoding: 'utf8',
      }),
      createWriteStream(temp, { encoding: config.encoding }),
    );
    const handle = await open(temp, 'r+');
    await handle.sync();
    await handle.close();
    await beforeRename(columns);
    await rename(temp, file);
    return columns;
  } catch (e) {
    await rm(temp, { force: true });
    throw await reported(ctx, parseError(e, file, start.line + 1), file, start);
  }
}

/** The file answers and its header names the configured columns. */
export async function testFile(ctx: CsvContext): Promise<void> {
  await run(ctx, `test ${ctx.file}`, () => openFile(ctx));
}
