/**
 * Import and reconciliation of a whole Active Directory resource (a private Samba AD DC, over LDAPS, with
 * examples/ad/ad.yaml): N AD accounts nobody knows become users (unmatched -> addFocus), then the same N,
 * unchanged, are reconciled twice (the first lets the worker learn what agreed; the second is the steady
 * state). Floor, in the same run: the same accounts read from Samba with the connector's paged search and
 * their shadows from MongoDB, page by page, one after the other as the run does.
 *
 *   npx tsx bench/ad-reconciliation.bench.ts [accounts=10000] [pageSize=1000]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyConfig } from '../src/admin/apply-config';
import { startTestStack } from '../test/setup/test-stack';
import { adResourceYaml, SAMBA_ADMIN_PASSWORD, startTestSamba, withSambaAdmin } from '../test/support/samba';
import { startTally } from '../test/support/tally-harness';
import { printCpu, withConcurrency } from './support/measure';
import { measuredReadFloor, measuredRun, provisioningSettled } from './support/resource-run';

const accounts = Number(process.argv[2] ?? 10_000);
// AD hands out at most 1,000 entries per page (MaxPageSize).
const pageSize = Number(process.argv[3] ?? 1000);
const AD_OID = 'c0c010c0-d34d-b33f-f00d-333111111113';

async function main() {
  const stack = await startTestStack();
  const samba = await startTestSamba();
  const tally = await startTally('bench-ad', { env: { TALLY_AD_PASSWORD: SAMBA_ADMIN_PASSWORD } });
  const pids = () => ({ ...stack.pids(), samba: samba.server.pid() });
  try {
    const config = mkdtempSync(path.join(tmpdir(), 'tally-bench-ad-'));
    writeFileSync(path.join(config, 'ad.yaml'), adResourceYaml(samba.server));
    await applyConfig(tally.services.repo, tally.services.key, [config]);

    const t = performance.now();
    await withSambaAdmin(samba.server, (c) =>
      withConcurrency(
        Array.from({ length: accounts }, (_, i) => `sailor${i}`),
        8,
        // As a domain holds its people: enabled (NORMAL_ACCOUNT | PASSWD_NOTREQD), with a UPN, agreeing with the mappings.
        (n) =>
          c.add(`CN=${n},${samba.server.peopleDn}`, {
            objectClass: 'user',
            sAMAccountName: n,
            userPrincipalName: `${n}@${samba.server.realm.toLowerCase()}`,
            userAccountControl: '544',
            givenName: 'Sailor',
            sn: n,
            displayName: `Sailor ${n}`,
          }),
      ),
    );
    const seededMs = performance.now() - t;
    console.log(`seeded ${accounts} AD accounts in ${Math.round(seededMs)} ms (Samba's add rate, 8 at a time: ${(accounts / (seededMs / 1000)).toFixed(0)}/s)`);

    const imported = await measuredRun(tally, pids, AD_OID, 'import', pageSize);
    console.log(`import of ${accounts} AD accounts (each becomes a user), page size ${pageSize}:`);
    console.log(`  ${Math.round(imported.ms)} ms -> ${(accounts / (imported.ms / 1000)).toFixed(0)} accounts/s; ${await tally.inspect.users.count({})} users, ${imported.summary.errors} errors`);
    console.log(`  history: ${imported.events} events in ${imported.runs} run(s) -> ${(imported.events / accounts).toFixed(4)} per account`);
    printCpu(imported.cpu, accounts, 'account');

    await provisioningSettled(tally);
    const first = await measuredRun(tally, pids, AD_OID, 'recon', pageSize);
    console.log(`first reconciliation after the import: ${Math.round(first.ms)} ms -> ${(accounts / (first.ms / 1000)).toFixed(0)} accounts/s; unchanged ${first.summary.unchanged}, synchronized ${first.summary.synchronized}`);
    const recon = await measuredRun(tally, pids, AD_OID, 'recon', pageSize);
    console.log(`steady-state reconciliation of ${accounts} unchanged AD accounts, page size ${pageSize}:`);
    console.log(`  ${Math.round(recon.ms)} ms -> ${(accounts / (recon.ms / 1000)).toFixed(0)} accounts/s; seen ${recon.summary.seen}, unchanged ${recon.summary.unchanged}, synchronized ${recon.summary.synchronized}, errors ${recon.summary.errors}`);
    const perAccount = printCpu(recon.cpu, accounts, 'account');

    const floor = await measuredReadFloor(tally, pids, AD_OID, pageSize);
    console.log(`  floor: ${floor.read} accounts read from Samba (paged, over LDAPS) and their shadows from MongoDB: ${Math.round(floor.ms)} ms -> ${(floor.read / (floor.ms / 1000)).toFixed(0)} accounts/s`);
    const perFloor = printCpu(floor.cpu, floor.read, 'account');
    console.log(`  ratio to the floor: time ${(recon.ms / floor.ms).toFixed(2)}x, CPU ${(perAccount / perFloor).toFixed(2)}x`);
    console.log(`  import against the floor: time ${(imported.ms / floor.ms).toFixed(2)}x`);
  } finally {
    await tally.stop();
    await samba.close();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
