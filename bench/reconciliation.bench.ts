/**
 * Import and reconciliation of a whole LDAP resource on the real stack, with the example configuration
 * (the directory's unmatched accounts become users through the Default User Template, which gives each
 * a MyLittleAD account, a PostgreSQL row).
 *
 * 1. import: N LDAP accounts -> N users + N PostgreSQL rows; accounts per second;
 * 2. reconciliation of the same N, unchanged: the first run after the import (every account compared with
 *    its owner; what agreed is kept on the shadows), the first run after a worker restart, and the steady
 *    state: accounts per second, history events per account (every run of the workflow's continue-as-new
 *    chain), CPU per account;
 * 3. the same steady reconciliation simulated: time and CPU against the real one, and what it writes (its
 *    result: the simulation's document, its items, the marks of what it saw);
 * 4. the floor, in the same run: reading the same accounts from LDAP (paged search, the run's page size)
 *    and the same shadows from MongoDB (one read per page), one after the other as the run does.
 *
 *   npx tsx bench/reconciliation.bench.ts [accounts=10000] [pageSize=1000]
 */
import path from 'node:path';
import { applyConfig } from '../src/admin/apply-config';
import { collectionNames } from '../src/repository/documents';
import { startTestStack } from '../test/setup/test-stack';
import { startTally } from '../test/support/tally-harness';
import { exampleResources } from '../test/support/example-resources';
import { printCpu, withConcurrency } from './support/measure';
import { measuredReadFloor, measuredRun, provisioningSettled, restartedTally } from './support/resource-run';

const accounts = Number(process.argv[2] ?? 10_000);
const pageSize = Number(process.argv[3] ?? 1000);
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';

async function main() {
  const stack = await startTestStack();
  let tally = await startTally('bench-recon');
  const { ldap, pg, base, table, examples, close } = await exampleResources(stack.info, 'recon');
  try {
    await applyConfig(tally.services.repo, tally.services.key, [path.join(examples, 'resources'), path.join(examples, 'templates'), path.join(examples, 'roles')]);

    const t = performance.now();
    const names = Array.from({ length: accounts }, (_, i) => `sailor${i}`);
    await withConcurrency(names, 16, async (n) => {
      await ldap.add(`uid=${n},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: n, cn: `Sailor ${n}`, givenName: 'Sailor', sn: n });
    });
    console.log(`seeded ${accounts} LDAP entries in ${Math.round(performance.now() - t)} ms`);

    const run = (type: 'import' | 'recon', simulate = false) => measuredRun(tally, stack.pids, LDAP_OID, type, pageSize, simulate);

    const imported = await run('import');
    const rows = (await pg.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
    const users = await tally.inspect.users.count({});
    console.log(`import of ${accounts} LDAP accounts (users through the template, each with a MyLittleAD row), page size ${pageSize}:`);
    console.log(`  ${Math.round(imported.ms)} ms -> ${(accounts / (imported.ms / 1000)).toFixed(0)} accounts/s; ${users} users, ${rows} PostgreSQL rows, ${imported.summary.errors} errors`);
    console.log(`  history: ${imported.events} events in ${imported.runs} run(s) -> ${(imported.events / accounts).toFixed(4)} per account`);
    printCpu(imported.cpu, accounts, 'account');

    // Let the provisioning the import handed over finish before measuring the steady state.
    await provisioningSettled(tally);
    // The first reconciliation compares every account with its owner and keeps what agreed on the shadows;
    // after a worker restart the next one finds it there; the one after that is the steady state.
    const first = await run('recon');
    console.log(`first reconciliation after the import, every account compared: ${Math.round(first.ms)} ms -> ${(accounts / (first.ms / 1000)).toFixed(0)} accounts/s; unchanged ${first.summary.unchanged}, synchronized ${first.summary.synchronized}`);
    printCpu(first.cpu, accounts, 'account');
    tally = await restartedTally(tally, 'bench-recon');
    const restarted = await run('recon');
    console.log(`first reconciliation after a worker restart: ${Math.round(restarted.ms)} ms -> ${(accounts / (restarted.ms / 1000)).toFixed(0)} accounts/s; unchanged ${restarted.summary.unchanged}, synchronized ${restarted.summary.synchronized}`);
    const perRestarted = printCpu(restarted.cpu, accounts, 'account');
    const recon = await run('recon');
    console.log(`steady-state reconciliation of ${accounts} unchanged LDAP accounts, page size ${pageSize}:`);
    console.log(`  ${Math.round(recon.ms)} ms -> ${(accounts / (recon.ms / 1000)).toFixed(0)} accounts/s; seen ${recon.summary.seen}, unchanged ${recon.summary.unchanged}, synchronized ${recon.summary.synchronized}, errors ${recon.summary.errors}`);
    console.log(`  history: ${recon.events} events in ${recon.runs} run(s) -> ${(recon.events / accounts).toFixed(4)} per unchanged account`);
    const perAccount = printCpu(recon.cpu, accounts, 'account');

    // The same reconciliation simulated: it reads what the real one reads and writes only its results.
    const simulated = await run('recon', true);
    const simulationId = simulated.summary.simulation!;
    const written = await Promise.all(
      [collectionNames.simulations, collectionNames.simulationItems, collectionNames.simulationSeen].map(async (name) => {
        const docs = await tally.inspect.scratch<{ _id: string; simulationId?: string }>(name).find(name === collectionNames.simulations ? { _id: simulationId } : { simulationId });
        return { name, docs: docs.length, bytes: docs.reduce((n, d) => n + JSON.stringify(d).length, 0) };
      }),
    );
    console.log(`simulated reconciliation of the same ${accounts} unchanged accounts: ${Math.round(simulated.ms)} ms -> ${(accounts / (simulated.ms / 1000)).toFixed(0)} accounts/s; seen ${simulated.summary.seen}, unchanged ${simulated.summary.unchanged}`);
    const perSimulated = printCpu(simulated.cpu, accounts, 'account');
    console.log(`  its result: ${written.map((w) => `${w.name} ${w.docs} documents, ~${w.bytes} bytes`).join('; ')}`);
    console.log(`  ratio to the real reconciliation: time ${(simulated.ms / recon.ms).toFixed(2)}x, CPU ${(perSimulated / perAccount).toFixed(2)}x`);

    // Floor: the same accounts from LDAP and the same shadows from MongoDB, page by page.
    const { read, ms: floorMs, cpu: floorCpu } = await measuredReadFloor(tally, stack.pids, LDAP_OID, pageSize);
    console.log(`  floor: ${read} accounts read from LDAP and their shadows from MongoDB: ${Math.round(floorMs)} ms -> ${(read / (floorMs / 1000)).toFixed(0)} accounts/s`);
    const perFloor = printCpu(floorCpu, read, 'account');
    console.log(`  ratio to the floor: time ${(recon.ms / floorMs).toFixed(2)}x, CPU ${(perAccount / perFloor).toFixed(2)}x`);
    console.log(`  first after a worker restart, ratio to the floor: time ${(restarted.ms / floorMs).toFixed(2)}x, CPU ${(perRestarted / perFloor).toFixed(2)}x`);
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
