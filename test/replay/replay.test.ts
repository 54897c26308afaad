/**
 * Determinism guard: histories recorded from real runs (test/replay/histories, written by recordHistories
 * in test/support/tally-harness.ts) must replay against today's workflow code without a non-determinism error,
 * and with what the workflows of a V8 context share (zod) set up once for them all.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const dir = path.join(__dirname, 'histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const tsx = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');

type Replayed = { replayed: string; error: string | null };

async function replay(): Promise<Replayed[]> {
  const { stdout } = await promisify(execFile)(tsx, [path.join(__dirname, 'replay-histories.ts'), dir], { maxBuffer: 16 * 1024 * 1024 });
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"replayed"'))
    .map((l) => JSON.parse(l) as Replayed);
}

test('there are recorded histories of every workflow type', () => {
  const types = new Set(
    fixtures.map(
      (f) =>
        (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType: { name: string } } }> })
          .events[0].workflowExecutionStartedEventAttributes!.workflowType.name,
    ),
  );
  expect([...types].sort()).toEqual(['activationTimer', 'deleteUser', 'importFromResource', 'liveSync', 'processChange', 'provisionAccount', 'provisionUser', 'reconcileResource']);
});

test('every recorded history replays deterministically', async () => {
  const results = await replay();
  expect(results.map((r) => r.replayed).sort()).toEqual(fixtures);
  expect(results.filter((r) => r.error)).toEqual([]);
}, 120_000);

test('the workflows of a V8 context share one zod: three times as many workflows set it up no more often', async () => {
  const { stdout } = await promisify(execFile)(tsx, [path.join(__dirname, 'zod-per-context.ts')], { maxBuffer: 16 * 1024 * 1024 });
  const line = stdout.split('\n').find((l) => l.startsWith('{"zodSetUps"'));
  const [once, thrice] = (JSON.parse(line!) as { zodSetUps: [number, number] }).zodSetUps;
  expect(once).toBeGreaterThan(0);
  expect(thrice).toBe(once);
}, 120_000);
