/** What the benchmarks share: CPU per process tree, percentiles, and the Temporal floor. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

export { withConcurrency } from '../../src/support/concurrency';

const ticksPerSecond = 100;

/** CPU seconds used so far by the process and all its descendants (Linux /proc). */
export function cpuOfTree(rootPid: number): number {
  const stats = new Map<number, { ppid: number; cpu: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command: state(0) ppid(1) ... utime(11) stime(12)
      stats.set(Number(entry), { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond });
    } catch {
      // The process ended while we looked.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, depth = 0; p > 1 && depth < 20; p = stats.get(p)?.ppid ?? 0, depth++) if (p === rootPid) return true;
    return false;
  };
  let total = 0;
  for (const [pid, { cpu }] of stats) if (inTree(pid)) total += cpu;
  return total;
}

/** CPU of this process (the Tally worker and the bench's client) in seconds. */
const ownCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export interface CpuMeter {
  /** CPU seconds per process since the meter started. */
  read(): Record<string, number>;
}

/** Measures CPU of the named server process trees plus this process ("tally worker + bench client"). */
export function startCpuMeter(pids: Record<string, number | undefined>): CpuMeter {
  const sample = () => ({
    'tally worker + bench client': ownCpu(),
    ...Object.fromEntries(Object.entries(pids).flatMap(([name, pid]) => (pid ? [[name, cpuOfTree(pid)]] : []))),
  });
  const start = sample();
  return {
    read: () => {
      const now = sample();
      return Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - ((start as Record<string, number>)[k] ?? 0)]));
    },
  };
}

/** Prints CPU per process and in total, per unit of work (e.g. per change) in milliseconds. */
export function printCpu(cpu: Record<string, number>, units: number, unit: string): number {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  for (const [name, seconds] of Object.entries(cpu)) console.log(`    ${name.padEnd(28)} ${((seconds * 1000) / units).toFixed(2).padStart(7)} ms CPU per ${unit}`);
  console.log(`    ${'all processes'.padEnd(28)} ${((total * 1000) / units).toFixed(2).padStart(7)} ms CPU per ${unit}`);
  return (total * 1000) / units;
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

export async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

/** Runs `work` on every item with at most `width` in flight (a sliding window, not batches). */
/** A V8 CPU profile of this process written to `file` on stop (nothing when no file is given). */
export async function startProfile(file: string | undefined): Promise<{ stop(): Promise<void> }> {
  if (!file) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/**
 * This process's resident set and JavaScript heap in use, sampled every `intervalMs` until stopped: the
 * peaks since the last `phase()`, and the resident set now, in MiB.
 */
export function startRssSampler(intervalMs = 500) {
  const mib = (bytes: number) => bytes / 2 ** 20;
  const sample = () => {
    const { rss, heapUsed } = process.memoryUsage();
    return { rss: mib(rss), heap: mib(heapUsed) };
  };
  let peak = sample();
  let overall = peak.rss;
  const timer = setInterval(() => {
    const now = sample();
    peak = { rss: Math.max(peak.rss, now.rss), heap: Math.max(peak.heap, now.heap) };
    overall = Math.max(overall, peak.rss);
  }, intervalMs);
  timer.unref();
  return {
    /** The peaks since the last phase and the resident set now; starts the next phase. */
    phase() {
      const now = sample();
      const result = { peak: Math.max(peak.rss, now.rss), heapPeak: Math.max(peak.heap, now.heap), now: now.rss };
      overall = Math.max(overall, result.peak);
      peak = now;
      return result;
    },
    /** The peak over the whole run. */
    overall: () => Math.max(overall, peak.rss),
    stop: () => clearInterval(timer),
  };
}

export function printFloorRatio(time: number, cpu: number): void {
  console.log(`  ratio to the floor: time ${time.toFixed(2)}x, CPU ${cpu.toFixed(2)}x`);
}

/** Runs a benchmark's main; its error ends the process. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
