/**
 * Live sync by snapshot: the file as it is now is compared with the copy the token names; rows added,
 * changed and removed (by unique value) are the changes, added and changed ones in the file's order,
 * then removed ones. A token is a snapshot's name, or `<from>><to>:<n>` for the n-th change between two
 * snapshots when a page ended before the last; `0` is a file without rows. Memory: the unique values
 * and digests of both copies, and the rows of one page's changes.
 */
import type { Attributes } from '../../schema/objects';
import { ConnectorError } from '../connector-errors';
import type { ChangesPage, ConnectorChange } from '../connector-types';
import { toObject, type CsvColumns } from './csv-columns';
import { MalformedRow, run, scanRows, type CsvContext } from './csv-file';
import { readOwnWrites, rowDigest } from './csv-own-writes';
import { hasSnapshot, snapshotPath, takeSnapshot } from './csv-snapshots';
import { CSV_INITIAL_TOKEN } from './csv-types';

interface Position {
  from: string;
  /** Unset: the file as it is now. */
  to?: string;
  /** The first change between `from` and `to` not read yet. */
  next: number;
}

const SNAPSHOT_NAME = /^[0-9a-f]{16}$/;

function decodeToken(token: string): Position {
  const [from, rest] = token.split('>');
  const isName = (n: string) => n === CSV_INITIAL_TOKEN || SNAPSHOT_NAME.test(n);
  if (rest === undefined && isName(from)) return { from, next: 0 };
  const m = /^([0-9a-f]{16}):(\d+)$/.exec(rest ?? '');
  if (m && isName(from)) return { from, to: m[1], next: Number(m[2]) + 1 };
  throw new ConnectorError('configuration', `not a CSV snapshot token: ${token}`);
}

interface Difference {
  changeType: ConnectorChange['changeType'];
  unique: string;
  /** The row's digest now; null once removed. */
  digest: string | null;
}

/** Each row of a snapshot as its unique value and digest; `visit` returns false for a unique value met before (a malformed file). */
async function digests(ctx: CsvContext, name: string, visit: (unique: string, digest: string) => boolean): Promise<void> {
  if (name === CSV_INITIAL_TOKEN) return;
  await scanRows(ctx, snapshotPath(ctx, name), (row, columns) => {
    const unique = row.fields[columns.unique];
    if (!visit(unique, rowDigest(columns, row.fields))) throw new MalformedRow(row.index, `${columns.names[columns.unique]}=${unique} is in two rows`);
  });
}

/** Marks a unique value met in the newer copy (no digest is empty). */
const MET = '';

/** One map for both copies: the older copy's digests, each replaced by MET once the newer copy has the row. */
async function differences(ctx: CsvContext, from: string, to: string): Promise<Difference[]> {
  const before = new Map<string, string>();
  await digests(ctx, from, (unique, digest) => !before.has(unique) && !!before.set(unique, digest));
  const found: Difference[] = [];
  await digests(ctx, to, (unique, digest) => {
    const was = before.get(unique);
    if (was === MET) return false;
    before.set(unique, MET);
    if (was !== digest) found.push({ changeType: was === undefined ? 'add' : 'modify', unique, digest });
    return true;
  });
  for (const [unique, digest] of before) if (digest !== MET) found.push({ changeType: 'delete', unique, digest: null });
  return found;
}

interface Rows {
  columns?: CsvColumns;
  fields: Map<string, string[]>;
}

/** The rows of a snapshot with these unique values. */
async function rowsOf(ctx: CsvContext, name: string, uniques: ReadonlySet<string>): Promise<Rows> {
  const fields = new Map<string, string[]>();
  if (name === CSV_INITIAL_TOKEN || uniques.size === 0) return { fields };
  const columns = await scanRows(ctx, snapshotPath(ctx, name), (row, cols) => {
    if (uniques.has(row.fields[cols.unique])) fields.set(row.fields[cols.unique], row.fields);
  });
  return { columns, fields };
}

function attributesOf(ctx: CsvContext, rows: Rows, unique: string): { name: string; attributes: Attributes } | undefined {
  const fields = rows.fields.get(unique);
  if (!fields || !rows.columns) return undefined;
  const object = toObject(ctx.config, rows.columns, fields, ctx.objectClass);
  return { name: object.secondaryIdentifier, attributes: object.attributes };
}

/** A difference as a change: an added row whole, a changed row's changed attributes, a removed row's identifiers. */
function asChange(ctx: CsvContext, d: Difference, before: Rows, after: Rows, token: string): ConnectorChange | undefined {
  const old = attributesOf(ctx, before, d.unique);
  const now = attributesOf(ctx, after, d.unique);
  if (d.changeType === 'delete') return { changeType: 'delete', primaryIdentifier: d.unique, secondaryIdentifier: old?.name, token };
  const attributeDeltas = Object.entries(now!.attributes)
    .filter(([path, values]) => JSON.stringify(values) !== JSON.stringify(old?.attributes[path]))
    .map(([path, values]) => ({ path, replace: values }));
  // A change of hidden columns only (the password) changes no attribute.
  if (attributeDeltas.length === 0) return undefined;
  return { changeType: d.changeType, primaryIdentifier: d.unique, secondaryIdentifier: now!.name, attributeDeltas, token };
}

export async function changesSince(ctx: CsvContext, token: string, limit?: number): Promise<ChangesPage> {
  const at = decodeToken(token);
  return run(ctx, `changes since ${token} in ${ctx.file}`, async () => {
    const to = at.to ?? (await takeSnapshot(ctx));
    if (at.to === undefined && at.from === to) return { changes: [], token };
    for (const name of [at.from, to]) {
      if (name !== CSV_INITIAL_TOKEN && !(await hasSnapshot(ctx, name))) return { changes: [], token: await takeSnapshot(ctx), expired: true };
    }
    const all = await differences(ctx, at.from, to);
    if (all.length === 0) return { changes: [], token: at.to === undefined ? token : to };
    const end = Math.min(all.length, at.next + (limit ?? ctx.config.pageSize));
    const page = all.slice(at.next, end);
    const [before, after] = await Promise.all([
      rowsOf(ctx, at.from, new Set(page.filter((d) => d.changeType !== 'add').map((d) => d.unique))),
      rowsOf(ctx, to, new Set(page.filter((d) => d.changeType !== 'delete').map((d) => d.unique))),
    ]);
    const ownWrites = await readOwnWrites(ctx);
    const tokenOf = (i: number) => (i === all.length - 1 ? to : `${at.from}>${to}:${i}`);
    const changes = page
      .map((d, k) => (ownWrites.get(d.unique) === d.digest ? undefined : asChange(ctx, d, before, after, tokenOf(at.next + k))))
      .filter((c): c is ConnectorChange => c !== undefined);
    // The position moves past Tally's own writes too.
    return { changes, token: tokenOf(end - 1) };
  });
}

/** The file as it is now, as a snapshot; a file without rows is the initial token. */
export async function latestToken(ctx: CsvContext): Promise<string> {
  return run(ctx, `latest snapshot of ${ctx.file}`, async () => {
    const name = await takeSnapshot(ctx);
    let rows = false;
    await scanRows(ctx, snapshotPath(ctx, name), () => (rows = true));
    return rows ? name : CSV_INITIAL_TOKEN;
  });
}
