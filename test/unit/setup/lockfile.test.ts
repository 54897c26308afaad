/**
 * A fresh clone installs with `npm ci` (scripts/setup.sh): package-lock.json must agree with package.json,
 * every platform's optional packages included. npm's dry run checks exactly that, offline, in under a second.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(__dirname, '..', '..', '..');

function npmCiDryRun(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund', '--offline'], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

test('npm ci accepts package-lock.json as committed', async () => {
  // A copy of the two files alone: npm sees a fresh clone, not this checkout's node_modules.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tally-lockfile-'));
  try {
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(root, file), path.join(dir, file));
    const result = await npmCiDryRun(dir);
    expect({ code: result.code, errors: result.output.split('\n').filter((l) => l.startsWith('npm error')) }).toEqual({ code: 0, errors: [] });
    expect(result.output).toMatch(/added \d+ packages/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
