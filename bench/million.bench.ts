/**
 * Cost growth: a directory of N accounts (1,000,000 at full size) imported and reconciled on the real stack,
 * with the worker's memory and the history per run watched across the whole run.
 *
 * The accounts are loaded with slapadd into the test slapd's database before it serves (online adds run
 * at ~1,500/s: a million would take 11 minutes). Then, with the example configuration:
 * 1. import: each account becomes a user through the Default User Template; by default without its
 *    MyLittleAD assignment (the import itself); `rows` keeps it, so each user's PostgreSQL row is
 *    handed to his workflow and the bench waits for it;
 * 2. reconciliation of the unchanged directory three times: the first after the import (every account
 *    compared with its owner; what agreed is kept on the shadows), the first after a worker restart (a new
 *    worker on the same repository) and the steady state;
 * 3. the floor, in the same run: the accounts read from LDAP (paged search) and their shadows from MongoDB.
 * Reported: accounts per second, CPU per account per process, the resident set and JavaScript heap of this
 * process (the worker runs in it) sampled every half second (peaks and end of each phase), MongoDB's data size, and
 * history events per run of the continue-as-new chain (in all and in the longest run).
 *
 *   npx tsx bench/million.bench.ts [accounts=100000] [pageSize=1000] [import|rows]
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyConfig } from '../src/admin/apply-config';
import { startTestStack } from '../test/setup/test-stack';
import { exampleResources } from '../test/support/example-resources';
import { startTally } from '../test/support/tally-harness';
import { printCpu, printFloorRatio, runBench, startRssSampler } from './support/measure';
import { measuredReadFloor, measuredRun, provisioningSettled, restartedTally } from './support/resource-run';

const accounts = Number(process.argv[2] ?? 100_000);
const pageSize = Number(process.argv[3] ?? 1000);
const withRows = process.argv[4] === 'rows';
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';
const OU = 'people-million';

/** N inetOrgPerson entries under ou=<OU>,dc=example,dc=com (and the ou itself), written to an LDIF file. */
async function writeSeed(file: string, count: number): Promise<void> {
  const out = createWriteStream(file);
  const base = `ou=${OU},dc=example,dc=com`;
  out.write(`dn: ${base}\nobjectClass: top\nobjectClass: organizationalUnit\nou: ${OU}\n\n`);
  for (let i = 0; i < count; i++) {
    const n = `sailor${i}`;
    const entry = `dn: uid=${n},${base}\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: inetOrgPerson\nuid: ${n}\ncn: Sailor ${n}\ngivenName: Sailor\nsn: ${n}\n\n`;
    if (!out.write(entry)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

async function main() {
  const seedDir = mkdtempSync(path.join(os.tmpdir(), 'tally-million-'));
  const seed = path.join(seedDir, 'accounts.ldif');
  let t = performance.now();
  await writeSeed(seed, accounts);
  const written = performance.now() - t;
  t = performance.now();
  const stack = await startTestStack({ ldapSeedLdifFile: seed });
  rmSync(seedDir, { recursive: true, force: true });
  console.log(`seeded ${accounts} LDAP entries with slapadd (LDIF written in ${Math.round(written)} ms; stack with the seed started in ${Math.round(performance.now() - t)} ms)`);

  let tally = await startTally('bench-million');
  const rss = startRssSampler();
  const { examples, examplesWithoutUsers, table, pg, close } = await exampleResources(stack.info, 'million', { containerExists: true });
  const dataSize = async () => {
    const stats = await tally.inspect.databaseCommand({ dbStats: 1 });
    return `MongoDB data ${mib(stats.dataSize)}, storage ${mib(stats.storageSize)}, indexes ${mib(stats.indexSize)}`;
  };
  const memory = (what: string) => {
    const { peak, heapPeak, now } = rss.phase();
    console.log(`  worker process resident set during ${what}: peak ${Math.round(peak)} MiB, at the end ${Math.round(now)} MiB (heap used: peak ${Math.round(heapPeak)} MiB, at the end ${mib(process.memoryUsage().heapUsed)})`);
  };
  try {
    if (!withRows) {
      const template = path.join(examples, 'templates', 'default-user.yaml');
      writeFileSync(template, readFileSync(template, 'utf8').replace(/\n {2}- strength: weak\n {4}expression: \{ value: \{ assignment: .*\n {4}target: \{ path: assignment \}\n/, '\n'));
    }
    await applyConfig(tally.services.repo, tally.services.key, examplesWithoutUsers);
    memory('the start');

    const run = (type: 'import' | 'recon') => measuredRun(tally, stack.pids, LDAP_OID, type, pageSize);
    const report = (what: string, r: Awaited<ReturnType<typeof run>>) => {
      console.log(`${what}: ${Math.round(r.ms)} ms -> ${(accounts / (r.ms / 1000)).toFixed(0)} accounts/s; seen ${r.summary.seen}, unchanged ${r.summary.unchanged}, synchronized ${r.summary.synchronized}, errors ${r.summary.errors}`);
      console.log(`  history: ${r.events} events in ${r.runs} run(s) -> ${(r.events / accounts).toFixed(4)} per account; the longest run ${r.longestRun} events`);
      return printCpu(r.cpu, accounts, 'account');
    };

    const imported = await run('import');
    report(`import of ${accounts} LDAP accounts (${withRows ? 'users, each with a MyLittleAD row handed to his workflow' : 'users only'}), page size ${pageSize}`, imported);
    memory('the import');
    if (withRows) {
      t = performance.now();
      await provisioningSettled(tally);
      const rows = (await pg.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
      console.log(`  ${rows} PostgreSQL rows; the provisioning handed over settled ${Math.round(performance.now() - t)} ms after the import -> ${(accounts / ((imported.ms + performance.now() - t) / 1000)).toFixed(0)} accounts/s from start to the last row`);
      memory('the provisioning');
    }
    console.log(`  ${await tally.inspect.users.count({})} users; ${await dataSize()}`);

    report('first reconciliation after the import, every account compared', await run('recon'));
    memory('the first reconciliation');
    tally = await restartedTally(tally, 'bench-million');
    memory('the worker restart');
    report('first reconciliation after a worker restart', await run('recon'));
    memory('the first reconciliation after the restart');
    const steady = await run('recon');
    const perAccount = report(`steady reconciliation of ${accounts} unchanged accounts`, steady);
    memory('the steady reconciliation');
    console.log(`  ${await dataSize()}`);

    const floor = await measuredReadFloor(tally, stack.pids, LDAP_OID, pageSize);
    console.log(`  floor: ${floor.read} accounts read from LDAP and their shadows from MongoDB: ${Math.round(floor.ms)} ms -> ${(floor.read / (floor.ms / 1000)).toFixed(0)} accounts/s`);
    const perFloor = printCpu(floor.cpu, floor.read, 'account');
    printFloorRatio(steady.ms / floor.ms, perAccount / perFloor);
    console.log(`worker process resident set over the whole run: peak ${Math.round(rss.overall())} MiB`);
  } finally {
    rss.stop();
    for (const stop of [close, () => tally.stop(), () => stack.stop()]) await stop();
  }
}

runBench(main);
