/**
 * Change processing on the real stack with a populated repository: N users, each with a linked LDAP
 * account, are stored; then M of the LDAP entries get a new cn and each change is reported (what
 * `tally change` and `POST /api/v1/changes` do). Measured: the time until every processChange workflow
 * finished (shadow lookup, situation, inbound, hand-over to provisioning), and per-change latency.
 *
 *   npx tsx bench/change-processing.bench.ts [users=5000] [changes=200]
 */
import { randomUUID } from 'node:crypto';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { applyConfig } from '../src/admin/apply-config';
import { reportChangeNotification } from '../src/admin/report-change';
import { newShadow } from '../src/provisioning/shadows';
import { requireObjectType } from '../src/model';
import type { UserDoc } from '../src/schema/objects';
import { startTestStack } from '../test/setup/test-stack';
import { examplesForStack, startTally } from '../test/support/tally-harness';

const users = Number(process.argv[2] ?? 5000);
const changes = Math.min(users, Number(process.argv[3] ?? 200));
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';

async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function main() {
  const stack = await startTestStack();
  const tally = await startTally('bench-changes');
  const ldap = new LdapClient({ url: stack.info.ldap.url });
  try {
    const ou = 'people-changes';
    const base = `ou=${ou},dc=example,dc=com`;
    await ldap.bind(stack.info.ldap.bindDn, stack.info.ldap.bindPassword);
    await ldap.add(base, { objectClass: ['top', 'organizationalUnit'], ou });
    await applyConfig(tally.services.repo, tally.services.key, [examplesForStack(stack.info, { ldapOu: ou, table: 'accounts_changes' })]);
    const resource = await tally.services.connectors.resource(LDAP_OID);

    let t = performance.now();
    const names = Array.from({ length: users }, (_, i) => `person${i}`);
    await inBatches(names, 8, (n) =>
      ldap.add(`uid=${n},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: n, cn: `Person ${n}`, sn: n }),
    );
    const { searchEntries } = await ldap.search(base, { filter: '(objectClass=inetOrgPerson)', attributes: ['uid', 'entryUUID'], paged: { pageSize: 1000 } });
    const uuidOf = new Map(searchEntries.map((e) => [String(e.uid), String(e.entryUUID)]));
    console.log(`seeded ${users} LDAP entries in ${Math.round(performance.now() - t)} ms`);

    t = performance.now();
    const now = new Date().toISOString();
    await inBatches(names, 16, async (n) => {
      const shadow = newShadow({
        resourceRef: LDAP_OID,
        objectType: requireObjectType(resource),
        primaryIdentifier: uuidOf.get(n)!,
        secondaryIdentifier: `uid=${n},${base}`,
        exists: true,
        now,
      });
      const user: UserDoc = { oid: randomUUID(), name: n, fullName: `Person ${n}`, familyName: n, assignment: [], linkRef: [shadow.oid], version: 1, metadata: { createTimestamp: now, modifyTimestamp: now } };
      shadow.ownerRef = user.oid;
      shadow.situation = 'linked';
      await tally.services.repo.insertUser(user);
      await tally.services.repo.insertShadow(shadow);
    });
    console.log(`stored ${users} users with linked shadows in ${Math.round(performance.now() - t)} ms`);

    const changed = names.slice(0, changes);
    await inBatches(changed, 8, (n) => ldap.modify(`uid=${n},${base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [`Captain ${n}`] }) })));

    const latencies: number[] = [];
    t = performance.now();
    await inBatches(changed, 50, async (n) => {
      const started = performance.now();
      const { workflowId } = await reportChangeNotification(tally.services, { resource: LDAP_OID, account: `uid=${n},${base}` }, 'api');
      await tally.services.client.workflow.getHandle(workflowId).result();
      latencies.push(performance.now() - started);
    });
    const total = performance.now() - t;
    const updated = await tally.services.repo.collections.users.countDocuments({ fullName: { $regex: '^Captain ' } });
    latencies.sort((a, b) => a - b);
    console.log(`change processing: ${changes} changes reported against ${users} users/shadows (50 in flight)`);
    console.log(`  all processChange workflows finished: ${Math.round(total)} ms -> ${(changes / (total / 1000)).toFixed(1)} changes/s`);
    console.log(`  per change: median ${Math.round(percentile(latencies, 50))} ms, p95 ${Math.round(percentile(latencies, 95))} ms`);
    console.log(`  users whose fullName followed the new cn: ${updated} of ${changes}`);
  } finally {
    await ldap.unbind().catch(() => undefined);
    await tally.stop();
    await stack.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
