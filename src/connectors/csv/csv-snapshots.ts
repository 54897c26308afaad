/**
 * The synchronized copies of the file live sync compares it with, named by a digest of their content
 * (the changelog token names one). The newest `keepSnapshots` are kept.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileVersion, type CsvContext } from './csv-file';

const SNAPSHOT = /^[0-9a-f]{16}\.csv$/;

export const snapshotPath = (ctx: CsvContext, name: string): string => path.join(ctx.snapshotFolder, `${name}.csv`);

export async function hasSnapshot(ctx: CsvContext, name: string): Promise<boolean> {
  return stat(snapshotPath(ctx, name)).then(
    () => true,
    () => false,
  );
}

async function digestOf(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex').slice(0, 16);
}

/** Copies the file as it is now into the snapshot folder (once per content) and returns its name. */
export async function takeSnapshot(ctx: CsvContext): Promise<string> {
  // First: a file that can't be reached must not leave a snapshot folder behind where its folder was.
  const { version, settled } = await fileVersion(ctx.file);
  const last = ctx.lastSnapshot;
  if (last?.version === version && (await hasSnapshot(ctx, last.name))) return last.name;
  await mkdir(ctx.snapshotFolder, { recursive: true });
  const temp = path.join(ctx.snapshotFolder, `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // Copied first, digested after: the file may be replaced meanwhile, the copy can't.
    await copyFile(ctx.file, temp);
    const name = await digestOf(temp);
    const target = snapshotPath(ctx, name);
    if (await hasSnapshot(ctx, name)) {
      await rm(temp);
      const now = new Date();
      await utimes(target, now, now);
    } else {
      await rename(temp, target);
    }
    await prune(ctx, name);
    ctx.lastSnapshot = settled ? { version, name } : undefined;
    return name;
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** Removes all but the newest `keepSnapshots` copies; `current` stays whatever its time. */
async function prune(ctx: CsvContext, current: string): Promise<void> {
  const names = (await readdir(ctx.snapshotFolder)).filter((n) => SNAPSHOT.test(n) && n !== `${current}.csv`);
  const dated = await Promise.all(names.map(async (n) => ({ n, at: (await stat(path.join(ctx.snapshotFolder, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
  dated.sort((a, b) => b.at - a.at);
  for (const { n } of dated.slice(ctx.config.keepSnapshots - 1)) await rm(path.join(ctx.snapshotFolder, n), { force: true });
}
