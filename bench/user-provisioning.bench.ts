/**
 * End-to-end provisioning throughput and latency on the real stack (Temporal dev server, mongod,
 * slapd, PostgreSQL, started here as the tests start them): N users are each assigned a role that
 * induces an LDAP and a PostgreSQL account (`assignToUser`, what `tally user assign` and
 * `POST /api/v1/users/{ref}/assignments` run); measured is the time until every account exists on its
 * resource with no pending operation, and CPU per account in every process. Floor, in the same run:
 * trivial workflows (one local activity each), one per user, at the same concurrency.
 *
 *   npx tsx bench/user-provisioning.bench.ts [users=200]
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client as LdapClient } from 'ldapts';
import { Client as PgClient } from 'pg';
import { applyConfig } from '../src/admin/apply-config';
import { assignToUser } from '../src/admin/user-commands';
import { startTestStack } from '../test/setup/test-stack';
import { examplesForStack, startTally } from '../test/support/tally-harness';
import { percentile, printCpu, startCpuMeter } from './support/measure';
import { temporalFloor } from './support/temporal-floor';

const users = Number(process.argv[2] ?? 200);

const role = `kind: Role
name: Captain
inducement:
  - construction: { resourceRef: OpenDJ LDAP directory, attribute: [{ ref: title, outbound: { strength: strong, expression: { value: Captain } } }] }
  - construction: { resourceRef: MyLittleAD }
`;
// No weak "account for everybody" assignment: the role alone decides which accounts exist.
const template = `kind: ObjectTemplate
oid: c0c010c0-d34d-b33f-f00d-777111111111
name: Default User Template
default: true
mapping:
  - { strength: weak, source: [{ path: givenName }, { path: familyName }], expression: { script: { code: "givenName + ' ' + familyName" } }, target: { path: fullName } }
`;


async function main() {
  const stack = await startTestStack();
  const tally = await startTally('bench');
  try {
    const ou = 'people-bench';
    const table = 'accounts_bench';
    const ldap = new LdapClient({ url: stack.info.ldap.url });
    await ldap.bind(stack.info.ldap.bindDn, stack.info.ldap.bindPassword);
    await ldap.add(`ou=${ou},dc=example,dc=com`, { objectClass: ['top', 'organizationalUnit'], ou });
    await ldap.unbind();
    const pg = new PgClient({ connectionString: stack.info.postgres.connectionString });
    await pg.connect();
    await pg.query(readFileSync(path.join(__dirname, '..', 'examples', 'sql', 'accounts.sql'), 'utf8').replace(/\baccounts\b/g, table));
    await pg.end();

    const config = examplesForStack(stack.info, { ldapOu: ou, table });
    rmSync(path.join(config, 'users', 'jack.yaml'));
    writeFileSync(path.join(config, 'templates', 'default-user.yaml'), template);
    writeFileSync(path.join(config, 'roles', 'captain.yaml'), role);
    writeFileSync(
      path.join(config, 'users', 'bench.yaml'),
      Array.from({ length: users }, (_, i) => `kind: User\nname: user${i}\nfullName: User ${i}\ngivenName: User\nfamilyName: No${i}\n`).join('---\n'),
    );
    await applyConfig(tally.services.repo, tally.services.key, [config]);
    const oids = (await tally.inspect.users.find({}, { projection: { _id: 0, oid: 1 } })).map((u) => u.oid);

    const requested = new Map<string, number>();
    const finished = new Map<string, number>();
    const meter = startCpuMeter(stack.pids());
    const start = performance.now();
    await Promise.all(
      oids.map(async (oid) => {
        await assignToUser(tally.services, oid, { role: 'Captain' }, 'user');
        requested.set(oid, performance.now());
      }),
    );
    const assigned = performance.now();
    while (finished.size < oids.length) {
      const shadows = await tally.inspect.shadows.find({ exists: true, pendingOperations: { $size: 0 } }, { projection: { _id: 0, ownerRef: 1 } });
      const count = new Map<string, number>();
      for (const s of shadows) if (s.ownerRef) count.set(s.ownerRef, (count.get(s.ownerRef) ?? 0) + 1);
      const now = performance.now();
      for (const [owner, n] of count) if (n === 2 && !finished.has(owner)) finished.set(owner, now);
      if (now - start > 600_000) throw new Error(`only ${finished.size} of ${oids.length} users provisioned after 10 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const end = Math.max(...finished.values());
    const cpu = meter.read();
    const latencies = oids.map((oid) => finished.get(oid)! - requested.get(oid)!).sort((a, b) => a - b);
    console.log(`user provisioning: ${users} users assigned a role inducing an LDAP and a PostgreSQL account (${users * 2} accounts)`);
    console.log(`  assignments stored and handed over: ${Math.round(assigned - start)} ms`);
    console.log(`  all accounts created: ${Math.round(end - start)} ms -> ${((users * 2) / ((end - start) / 1000)).toFixed(1)} accounts/s`);
    console.log(`  per user, assignment to both accounts: median ${Math.round(percentile(latencies, 50))} ms, p95 ${Math.round(percentile(latencies, 95))} ms (polled every 50 ms)`);
    console.log('  CPU (while the assignments were worked, including the poll for completion):');
    const perAccount = printCpu(cpu, users * 2, 'account');
    const floorMeter = startCpuMeter(stack.pids());
    const floorMs = await temporalFloor(stack.info.temporal.address, users, users);
    const floorCpu = floorMeter.read();
    console.log(`  floor: ${users} trivial workflows (one local activity each), all in flight: ${Math.round(floorMs)} ms -> ${(users / (floorMs / 1000)).toFixed(1)} workflows/s`);
    const perFloor = printCpu(floorCpu, users * 2, 'account (half a workflow)');
    console.log(`  ratio to the floor: time ${((end - start) / floorMs).toFixed(2)}x, CPU ${(perAccount / perFloor).toFixed(2)}x`);
  } finally {
    await tally.stop();
    await stack.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
