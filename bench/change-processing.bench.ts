/**
 * Change processing on the real stack with a populated repository: N users, each with a linked LDAP
 * account and a MyLittleAD (PostgreSQL) account, are stored; then M of the LDAP entries get a new cn and
 * each change is reported (what `tally change` and `POST /api/v1/changes` do), 50 in flight. Measured:
 * the time until every processChange workflow finished (the synchronization routine, inbound to the
 * user's fullName and outbound to the PostgreSQL row's cn), CPU per change in every process, and one
 * change alone on the idle stack, from report to PostgreSQL row. Floor, in the same run: trivial
 * workflows with one local activity each, at the same concurrency.
 *
 *   npx tsx bench/change-processing.bench.ts [users=10000] [changes=500]
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Attribute, Change } from 'ldapts';
import { applyConfig } from '../src/admin/apply-config';
import { reportChangeNotification } from '../src/admin/report-change';
import { newShadow } from '../src/provisioning/shadows';
import { resourceOf } from '../src/provisioning';
import { requireObjectType } from '../src/model';
import type { ShadowDoc, UserDoc } from '../src/schema/objects';
import { startTestStack } from '../test/setup/test-stack';
import { startTally } from '../test/support/tally-harness';
import { exampleResources } from '../test/support/example-resources';
import { STACK_FILE_ENV } from '../test/support/stack';
import { inBatches, percentile, printCpu, startCpuMeter, startProfile, withConcurrency } from './support/measure';
import { temporalFloor } from './support/temporal-floor';

const users = Number(process.argv[2] ?? 10_000);
const changes = Math.min(users - 1, Number(process.argv[3] ?? 500));
const inFlight = 50;
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111112';

async function main() {
  const stack = await startTestStack();
  // Tally's MongoDB client reports its commands, so the bench can count them.
  writeFileSync(process.env[STACK_FILE_ENV]!, JSON.stringify({ ...stack.info, mongo: { ...stack.info.mongo, uri: `${stack.info.mongo.uri}?monitorCommands=true` } }));
  const tally = await startTally('bench-changes');
  const { ldap, pg, base, table, examples, close } = await exampleResources(stack.info, 'changes');
  try {
    await applyConfig(tally.services.repo, tally.services.key, [examples]);
    const repo = tally.services.repo;
    const [ldapResource, adResource] = [await resourceOf(tally.services, LDAP_OID), await resourceOf(tally.services, AD_OID)];

    let t = performance.now();
    const names = Array.from({ length: users }, (_, i) => `person${i}`);
    await inBatches(names, 16, (n) =>
      ldap.add(`uid=${n},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: n, cn: `Person ${n}`, sn: n }),
    );
    const { searchEntries } = await ldap.search(base, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid', 'entryUUID'], paged: { pageSize: 1000 } });
    const uuidOf = new Map(searchEntries.map((e) => [String(e.uid), String(e.entryUUID)]));
    const rows = new Map<string, string>();
    for (let i = 0; i < users; i += 1000) {
      const slice = names.slice(i, i + 1000);
      const inserted = await pg.query(
        `INSERT INTO ${table} (name, login, cn, given_name, sn) SELECT 'cn=' || n || ',o=Acme', n, 'Person ' || n, n, n FROM unnest($1::text[]) AS n RETURNING id, login`,
        [slice],
      );
      for (const r of inserted.rows as Array<{ id: number; login: string }>) rows.set(r.login, String(r.id));
    }
    console.log(`seeded ${users} LDAP entries and PostgreSQL rows in ${Math.round(performance.now() - t)} ms`);

    t = performance.now();
    const now = new Date().toISOString();
    for (let i = 0; i < users; i += 5000) {
      const batch = names.slice(i, i + 5000).map((n) => {
        const user: UserDoc = { oid: randomUUID(), name: n, fullName: `Person ${n}`, givenName: n, familyName: n, assignment: [], linkRef: [], version: 1, metadata: { createTimestamp: now, modifyTimestamp: now } };
        const shadowOf = (resource: typeof ldapResource, primaryIdentifier: string, secondaryIdentifier: string): ShadowDoc => ({
          ...newShadow({ resourceRef: resource.oid, objectType: requireObjectType(resource), primaryIdentifier, secondaryIdentifier, exists: true, ownerRef: user.oid, now }),
        });
        const shadows = [shadowOf(ldapResource, uuidOf.get(n)!, `uid=${n},${base}`), shadowOf(adResource, rows.get(n)!, `cn=${n},o=Acme`)];
        user.linkRef = shadows.map((s) => s.oid);
        // The user's accounts as MyLittleAD has them, so a recompute sees them as assigned.
        user.assignment = [{ accountConstruction: { resourceRef: AD_OID, kind: 'account', intent: 'default', attribute: [] } }];
        return { user, shadows };
      });
      await repo.users.insertMany(batch.map(({ user }) => user));
      await repo.shadows.insertMany(batch.flatMap(({ shadows }) => shadows));
    }
    console.log(`stored ${users} users with 2 linked shadows each in ${Math.round(performance.now() - t)} ms`);

    const cnOf = async (n: string) => ((await pg.query(`SELECT cn FROM ${table} WHERE login = $1`, [n])).rows[0] as { cn: string }).cn;
    const setCn = (n: string, cn: string) => ldap.modify(`uid=${n},${base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [cn] }) }));

    // One change alone on the idle stack: report to PostgreSQL row.
    const lone = names[users - 1]!;
    await setCn(lone, `Captain ${lone}`);
    t = performance.now();
    await reportChangeNotification(tally.services, { resource: LDAP_OID, account: `uid=${lone},${base}` }, 'api');
    while ((await cnOf(lone)) !== `Captain ${lone}`) await new Promise((r) => setTimeout(r, 2));
    const alone = performance.now() - t;

    const changed = names.slice(0, changes);
    await inBatches(changed, 16, (n) => setCn(n, `Captain ${n}`));
    const latencies: number[] = [];
    const commands = new Map<string, number>();
    let counting = true;
    repo.onCommand((name) => counting && commands.set(name, (commands.get(name) ?? 0) + 1));
    const meter = startCpuMeter(stack.pids());
    const profile = await startProfile(process.env.TALLY_BENCH_PROFILE);
    t = performance.now();
    await withConcurrency(changed, inFlight, async (n) => {
      const started = performance.now();
      const { workflowId } = await reportChangeNotification(tally.services, { resource: LDAP_OID, account: `uid=${n},${base}` }, 'api');
      await tally.services.client.workflow.getHandle(workflowId).result();
      latencies.push(performance.now() - started);
    });
    const total = performance.now() - t;
    const cpu = meter.read();
    await profile.stop();
    counting = false;
    const followed = (await pg.query(`SELECT count(*)::int AS n FROM ${table} WHERE cn LIKE 'Captain %'`)).rows[0].n as number;
    latencies.sort((a, b) => a - b);

    const floorMeter = startCpuMeter(stack.pids());
    const floorMs = await temporalFloor(stack.info.temporal.address, changes, inFlight);
    const floorCpu = floorMeter.read();

    console.log(`change processing: ${changes} reported cn changes against ${users} users (2 accounts each), ${inFlight} in flight`);
    console.log(`  one change alone, report to PostgreSQL row: ${Math.round(alone)} ms`);
    console.log(`  all processChange workflows finished: ${Math.round(total)} ms -> ${(changes / (total / 1000)).toFixed(1)} changes/s`);
    console.log(`  per change: median ${Math.round(percentile(latencies, 50))} ms, p95 ${Math.round(percentile(latencies, 95))} ms`);
    console.log(`  PostgreSQL rows whose cn followed: ${followed} of ${changes + 1}`);
    const commandCount = [...commands.values()].reduce((a, b) => a + b, 0);
    console.log(`  repository commands per change: ${(commandCount / changes).toFixed(1)} (${[...commands].map(([name, n]) => `${name} ${(n / changes).toFixed(1)}`).join(', ')})`);
    console.log('  CPU:');
    const perChange = printCpu(cpu, changes, 'change');
    console.log(`  floor: ${changes} trivial workflows (one local activity each), ${inFlight} in flight: ${Math.round(floorMs)} ms -> ${(changes / (floorMs / 1000)).toFixed(1)} workflows/s`);
    const perFloor = printCpu(floorCpu, changes, 'workflow');
    console.log(`  ratio to the floor: time ${(total / floorMs).toFixed(2)}x, CPU ${(perChange / perFloor).toFixed(2)}x`);
  } finally {
    await close();
    await tally.stop();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
