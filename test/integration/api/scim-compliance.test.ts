/**
 * Tally's SCIM service provider keeps the SCIM RFCs (7643/7644) as scim2-tester (PyPI, which
 * scripts/setup.sh installs) checks them, against the running API: discovery, every resource type's
 * create, read, list, search, replace, delete, and PATCH add, replace and remove of every attribute. Each
 * check that fails is a failed assertion with its message.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { tools } from '../../../src/dev/servers';
import { startScimSource } from '../../support/scim-source';

const SCIM_TOKEN = 'scim-compliance-token';
let source: Awaited<ReturnType<typeof startScimSource>>;

beforeAll(async () => {
  source = await startScimSource('scim-compliance', SCIM_TOKEN);
}, 180_000);

afterAll(async () => {
  await source?.stop();
});

interface CheckResult {
  title: string;
  status: 'SUCCESS' | 'COMPLIANT' | 'ACCEPTABLE' | 'DEVIATION' | 'ERROR' | 'CRITICAL' | 'SKIPPED';
  resourceType: string | null;
  reason: string | null;
}

function scimTester(url: string, token: string): Promise<CheckResult[]> {
  const script = path.join(__dirname, '..', '..', 'support', 'scim-tester.py');
  return new Promise((resolve, reject) => {
    execFile(tools.scimTesterPython(), [script, url, token], { maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`scim2-tester failed: ${error.message}\n${stderr}`));
      resolve(stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as CheckResult));
    });
  });
}

test('scim2-tester finds nothing wrong: every check of discovery, users and groups passes', async () => {
  const results = await scimTester(source.scim, SCIM_TOKEN);
  const failed = results.filter((r) => r.status === 'ERROR' || r.status === 'CRITICAL').map((r) => `${r.resourceType ?? ''} ${r.title}: ${r.reason}`);
  expect(failed).toEqual([]);
  // It ran the checks of both resource types, not only discovery.
  const passed = results.filter((r) => r.status === 'SUCCESS');
  expect(new Set(passed.map((r) => r.resourceType).filter(Boolean))).toEqual(new Set(['User', 'Group']));
  expect(passed.length).toBeGreaterThan(30);
}, 300_000);
