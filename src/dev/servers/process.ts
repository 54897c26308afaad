import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A server that failed to start; the message carries the tail of its log (never secrets: we don't log any). */
export class ServerStartError extends Error {
  constructor(server: string, reason: string, logFile?: string) {
    const tail = logFile ? logTail(logFile) : '';
    super(`${server} failed to start: ${reason}${tail ? `\n--- last lines of ${logFile} ---\n${tail}` : ''}`);
    this.name = 'ServerStartError';
  }
}

export function logTail(file: string, lines = 40): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnServerOptions {
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended here, never to our own stdout. */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** The signal asking for a clean shutdown (PostgreSQL wants SIGINT for "fast"). */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits before SIGKILL. */
  graceMs?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** Clean shutdown: the stop signal, then SIGKILL after the grace period. Resolves when the process is gone. */
  stop(): Promise<void>;
  /** Immediate SIGKILL (simulates a crash). Resolves when the process is gone. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllChildren(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Children must not outlive us: on exit, SIGKILL whatever is still running (synchronous, best effort).
 * A SIGTERM/SIGHUP skips 'exit', so those also kill the children, then re-raise the signal
 * when nobody else handles it (keeping its default effect).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllChildren();
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

export function spawnServer(options: SpawnServerOptions): ManagedProcess {
  installExitHook();
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const logFd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      stdio: ['ignore', logFd, logFd],
      env: options.env ?? process.env,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
    });
  } finally {
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new ServerStartError(options.name, `could not spawn ${options.command}`, options.logFile);
  }
  live.add(child);
  let running = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      live.delete(child);
      resolve({ code, signal });
    });
  });

  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (!running) return;
    child.kill(signal);
    if (signal === 'SIGKILL') {
      await exited;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && running) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    isRunning: () => running,
    stop: () => signalAndWait(options.stopSignal ?? 'SIGTERM', options.graceMs ?? 10_000),
    kill: () => signalAndWait('SIGKILL', 0),
  };
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Stop waiting as soon as this process dies. */
  process?: ManagedProcess;
}

/** Polls `probe` until it returns true; throws ServerStartError (with the log tail) on timeout or early exit. */
export async function waitUntilReady(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  for (;;) {
    if (options.process && !options.process.isRunning()) {
      const info = await options.process.exited;
      throw new ServerStartError(
        options.what,
        `process exited early (code ${info.code}, signal ${info.signal})`,
        options.process.logFile,
      );
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await options.process?.kill();
      throw new ServerStartError(
        options.what,
        `not ready after ${options.timeoutMs} ms`,
        options.process?.logFile,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  cwd?: string;
}

/** Runs a short command to completion; rejects with its stderr tail when it fails. */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      uid: options.uid,
      gid: options.gid,
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout);
      else {
        const tail = stderr.trimEnd().split('\n').slice(-20).join('\n');
        reject(new Error(`${path.basename(command)} exited with code ${code}\n${tail}`));
      }
    });
    // A command that exits without reading its input (samba --version) closes the pipe first: not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** What every started server offers to stop, crash and start again on the same port and data. */
export interface ServerControl {
  isRunning(): boolean;
  /** The server process (for measuring what it costs). */
  pid(): number | undefined;
  stop(): Promise<void>;
  /** SIGKILL: gone as in a crash. */
  kill(): Promise<void>;
  /** Starts again on the same port and data (stopping first if still running). */
  restart(): Promise<void>;
}

/** Spawns a server, waits until `ready` answers, and gives the controls to stop, kill and restart it. */
export async function startServer(
  spawn: SpawnServerOptions,
  ready: { probe: () => Promise<boolean>; what: string; timeoutMs?: number },
): Promise<ServerControl> {
  let proc: ManagedProcess | undefined;
  const launch = async (): Promise<void> => {
    proc = spawnServer(spawn);
    await waitUntilReady(ready.probe, { what: ready.what, timeoutMs: ready.timeoutMs ?? 30_000, process: proc });
  };
  await launch();
  return {
    isRunning: () => proc?.isRunning() ?? false,
    pid: () => proc?.pid,
    stop: async () => proc?.stop(),
    kill: async () => proc?.kill(),
    restart: async () => {
      await proc?.stop();
      await launch();
    },
  };
}
