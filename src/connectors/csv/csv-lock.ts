/**
 * Writers of one file take turns: in this process by a queue per file, across processes by a lock file
 * (`<file>.lock`, holding the writer's pid) created exclusively. A lock left by a process that is gone is
 * taken over; one held longer than the timeout is a communication error (retried later).
 */
import { open, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorError } from '../connector-errors';

const queues = new Map<string, Promise<unknown>>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(lockFile: string): Promise<number | undefined> {
  const pid = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function takeLockFile(lockFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await holderOf(lockFile);
    if (holder !== undefined && !isAlive(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new ConnectorError('communication', `${lockFile} is held${holder ? ` by process ${holder}` : ''} for more than ${timeoutMs} ms`);
    }
    await sleep(20);
  }
}

/** Runs `write` when no other writer of `file` (in this process or another) is running. */
export async function underLock<T>(file: string, timeoutMs: number, write: () => Promise<T>): Promise<T> {
  const lockFile = `${file}.lock`;
  const turn = (queues.get(file) ?? Promise.resolve())
    .catch(() => undefined)
    .then(async () => {
      await takeLockFile(lockFile, timeoutMs);
      try {
        return await write();
      } finally {
        await rm(lockFile, { force: true });
      }
    });
  queues.set(file, turn);
  try {
    return await turn;
  } finally {
    if (queues.get(file) === turn) queues.delete(file);
  }
}
