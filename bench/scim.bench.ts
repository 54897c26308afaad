/**
 * SCIM provisioning throughput on the real stack: N users are each assigned a role that gives an account
 * on a scim2-server (the resource of examples/scim-app/scim-app.yaml, without groups); measured is the time until
 * every account exists with no pending operation, and CPU per account in every process. Floor, in the
 * same run: the service's own rate, N users POSTed straight from Node at the same concurrency as the
 * worker's activities.
 *
 *   npx tsx bench/scim.bench.ts [users=500] [concurrency=16]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyConfig } from '../src/admin/apply-config';
import { assignToUser } from '../src/admin/user-commands';
import { startTestStack } from '../test/setup/test-stack';
import { startTestScim } from '../test/support/scim';
import { startTally } from '../test/support/tally-harness';
import { printCpu, printFloorRatio, runBench, startCpuMeter, withConcurrency } from './support/measure';

const users = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? 16);

const role = `kind: Role
name: SaaS bench
inducement:
  - construction: { resourceRef: SaaS app }
`;

async function main() {
  const stack = await startTestStack();
  const scim = await startTestScim();
  const tally = await startTally('bench-scim', { env: { TALLY_SCIM_TOKEN: scim.token } });
  try {
    const config = mkdtempSync(path.join(tmpdir(), 'tally-bench-scim-'));
    const example = readFileSync(path.join(__dirname, '..', 'examples', 'scim-app', 'scim-app.yaml'), 'utf8');
    // The resource alone, straight on the service (not through the tests' proxy).
    writeFileSync(path.join(config, 'scim.yaml'), example.split('\n---\n')[0].replace('https://app.example.com/scim/v2', scim.server.url));
    writeFileSync(path.join(config, 'role.yaml'), role);
    writeFileSync(
      path.join(config, 'users.yaml'),
      Array.from({ length: users }, (_, i) => `kind: User\nname: user${i}\nfullName: User ${i}\ngivenName: User\nfamilyName: No${i}\nemailAddress: user${i}@example.com\n`).join('---\n'),
    );
    await applyConfig(tally.services.repo, tally.services.key, [config]);
    const oids = (await tally.inspect.users.find({}, { projection: { _id: 0, oid: 1 } })).map((u) => u.oid);
    const pids = { ...stack.pids(), 'scim2-server': scim.server.pid() };

    const meter = startCpuMeter(pids);
    const start = performance.now();
    await withConcurrency(oids, 50, async (oid) => void (await assignToUser(tally.services, oid, { role: 'SaaS bench' }, 'user')));
    for (;;) {
      const done = await tally.inspect.shadows.count({ exists: true, pendingOperations: { $size: 0 } });
      if (done >= users) break;
      if (performance.now() - start > 600_000) throw new Error(`only ${done} of ${users} accounts provisioned after 10 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const ms = performance.now() - start;
    const cpu = meter.read();
    const listed = (await scim.call('GET', '/Users?count=0')).body.totalResults;
    console.log(`SCIM provisioning: ${users} users assigned a role giving a scim2-server account (${listed} users on the service)`);
    console.log(`  ${Math.round(ms)} ms -> ${(users / (ms / 1000)).toFixed(1)} accounts/s`);
    const perAccount = printCpu(cpu, users, 'account');

    // Floor: the service's own rate, the same users POSTed from here.
    const floorMeter = startCpuMeter(pids);
    const floorStart = performance.now();
    await withConcurrency(
      Array.from({ length: users }, (_, i) => i),
      concurrency,
      async (i) => {
        const created = await scim.call('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `floor${i}`,
          displayName: `User ${i}`,
          name: { givenName: 'User', familyName: `No${i}` },
          emails: [{ value: `floor${i}@example.com` }],
        });
        if (created.status !== 201) throw new Error(`floor POST ${i}: ${created.status}`);
      },
    );
    const floorMs = performance.now() - floorStart;
    const floorCpu = floorMeter.read();
    console.log(`  floor: ${users} POST /Users straight to scim2-server, ${concurrency} in flight: ${Math.round(floorMs)} ms -> ${(users / (floorMs / 1000)).toFixed(1)} users/s`);
    const perFloor = printCpu(floorCpu, users, 'user');
    printFloorRatio(ms / floorMs, perAccount / perFloor);
  } finally {
    for (const stop of [() => tally.stop(), () => scim.close(), () => stack.stop()]) await stop();
  }
}

runBench(main);
