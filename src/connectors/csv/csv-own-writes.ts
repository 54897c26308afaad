/**
 * Tally's own writes, recognised when they come back through live sync: for each row it wrote, the
 * digest of the row as written (none once it deleted it), kept in the snapshot folder. A row whose
 * content is still what Tally wrote is no change of the file's owner.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CsvColumns } from './csv-columns';
import type { CsvContext } from './csv-file';

/** A row's content under its header (a field moved to another column is another content). */
export function rowDigest(columns: CsvColumns, fields: readonly string[]): string {
  return createHash('sha1').update(columns.header).update('\u0001').update(fields.join('\u0000')).digest('hex').slice(0, 16);
}

/** The unique value of a row Tally wrote and its digest, null for a row it deleted. */
export type OwnWrite = [unique: string, digest: string | null];

const journalPath = (ctx: CsvContext) => path.join(ctx.snapshotFolder, 'tally-writes.json');

export async function readOwnWrites(ctx: CsvContext): Promise<Map<string, string | null>> {
  if (!ctx.config.ignoreOwnWrites) return new Map();
  const text = await readFile(journalPath(ctx), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '{}';
    throw e;
  });
  return new Map(Object.entries(JSON.parse(text) as Record<string, string | null>));
}

/** Called under the file's lock, before the written file replaces the old one. */
export async function recordOwnWrites(ctx: CsvContext, writes: readonly OwnWrite[]): Promise<void> {
  if (!ctx.config.ignoreOwnWrites) return;
  await mkdir(ctx.snapshotFolder, { recursive: true });
  const journal = await readOwnWrites(ctx);
  for (const [unique, digest] of writes) journal.set(unique, digest);
  const temp = `${journalPath(ctx)}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, JSON.stringify(Object.fromEntries(journal)));
  await rename(temp, journalPath(ctx));
}
