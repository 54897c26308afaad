import { execFile } from 'node:child_process';
import path from 'node:path';

export const tallyBin = path.join(__dirname, '..', '..', 'bin', 'tally');

/** Runs the real `bin/tally` with this environment; resolves with its exit code and output (never rejects). */
export function runTallyCli(env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(tallyBin, args, { env: { ...process.env, ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs `bin/tally` and resolves with its standard output; rejects with its error output when it fails. */
export async function tallyCliOk(env: Record<string, string>, args: string[]): Promise<string> {
  const result = await runTallyCli(env, args);
  if (result.code !== 0) throw new Error(`tally ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}
