/**
 * Live sync on the real stack, with the example configuration: N LDAP accounts imported (users with a
 * MyLittleAD row each), live sync of the directory started; then
 * 1. latency at a steady rate: `rate` cn changes per second for `seconds`, each timed from the LDAP modify
 *    to the PostgreSQL row showing the new cn (p50, p99, max), over all of them and over the stream after
 *    its first interval (the first changes after idle wait for the idle resource's next poll);
 * 2. sustained throughput: M cn changes made as fast as the directory takes them, timed until every
 *    PostgreSQL row followed (changes per second), with CPU per change in every process.
 *
 * 3. change events over HTTP: E events posted one per request, 50 in flight: accepted per second, and
 *    the time until live sync applied them all (none lost).
 *
 *   npx tsx bench/live-sync.bench.ts [accounts=5000] [rate=50] [seconds=20] [burst=5000] [intervalMs=100] [events=5000]
 */
import path from 'node:path';
import { Attribute, Change } from 'ldapts';
import { applyConfig } from '../src/admin/apply-config';
import { liveSyncStatuses, signalLiveSync, startLiveSync } from '../src/admin/live-sync';
import { startResourceRun, waitForRun } from '../src/admin/resource-runs';
import { startTestStack } from '../test/setup/test-stack';
import { listenApi, startTally } from '../test/support/tally-harness';
import { exampleResources } from '../test/support/example-resources';
import { percentile, printCpu, startCpuMeter, startProfile, withConcurrency } from './support/measure';

const accounts = Number(process.argv[2] ?? 5000);
const rate = Number(process.argv[3] ?? 50);
const seconds = Number(process.argv[4] ?? 20);
const burst = Math.min(accounts, Number(process.argv[5] ?? 5000));
const intervalMs = Number(process.argv[6] ?? 100);
const events = Number(process.argv[7] ?? 5000);
const LDAP_OID = 'c0c010c0-d34d-b33f-f00d-333111111111';

async function main() {
  const stack = await startTestStack();
  // Every MongoDB command is reported, to count them per change.
  const mongo = new URL(stack.info.mongo.uri);
  mongo.searchParams.set('monitorCommands', 'true');
  const tally = await startTally('bench-live', { env: { MONGODB_URI: mongo.toString() } });
  const commands = new Map<string, number>();
  let counting = false;
  tally.services.repo.onCommand((name) => counting && commands.set(name, (commands.get(name) ?? 0) + 1));
  const { ldap, pg, base, table, examples, close } = await exampleResources(stack.info, 'live');
  try {
    await applyConfig(tally.services.repo, tally.services.key, [path.join(examples, 'resources'), path.join(examples, 'templates'), path.join(examples, 'roles')]);
    const names = Array.from({ length: accounts }, (_, i) => `sailor${i}`);
    await withConcurrency(names, 16, async (n) => {
      await ldap.add(`uid=${n},${base}`, { objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'], uid: n, cn: `Sailor ${n}`, givenName: 'Sailor', sn: n });
    });
    const imported = await startResourceRun(tally.services, { type: 'import', resource: LDAP_OID });
    await waitForRun(tally.services, imported.workflowId, () => undefined);
    while ((await tally.inspect.shadows.count({ 'pendingOperations.0': { $exists: true } })) > 0) await new Promise((r) => setTimeout(r, 200));
    await startLiveSync(tally.services, LDAP_OID, { intervalMs });
    while (((await liveSyncStatuses(tally.services, LDAP_OID))[0].status?.polls ?? 0) < 2) await new Promise((r) => setTimeout(r, 100));
    // The example's resource starts its live sync when applied: its interval, not the one asked for, may be the one in force.
    // Temporal's timers wait whole seconds: an interval under a second waits one.
    const interval = Math.max(1000, (await liveSyncStatuses(tally.services, LDAP_OID))[0].status?.intervalMs ?? intervalMs);
    console.log(`${accounts} LDAP accounts imported (users + MyLittleAD rows); live sync's interval (an idle resource's polls) ${interval} ms`);

    // Watches the PostgreSQL rows: when each login's cn first shows the value it waits for.
    const watch = (expected: Map<string, string>) => {
      const seenAt = new Map<string, number>();
      let stop = false;
      const done = (async () => {
        while (!stop && seenAt.size < expected.size) {
          const { rows } = await pg.query<{ login: string; cn: string }>(`SELECT login, cn FROM ${table} WHERE login = ANY($1)`, [[...expected.keys()].filter((l) => !seenAt.has(l))]);
          const now = performance.now();
          for (const r of rows) if (expected.get(r.login) === r.cn && !seenAt.has(r.login)) seenAt.set(r.login, now);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      return { seenAt, until: async (ms: number) => { const deadline = Date.now() + ms; while (seenAt.size < expected.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50)); stop = true; await done; } };
    };
    const setCn = (n: string, cn: string) => ldap.modify(`uid=${n},${base}`, new Change({ operation: 'replace', modification: new Attribute({ type: 'cn', values: [cn] }) }));

    // 1. Latency at a steady rate.
    const steady = names.slice(0, Math.min(accounts, rate * seconds));
    const expected = new Map(steady.map((n) => [n, `Steady ${n}`]));
    const watcher = watch(expected);
    const madeAt = new Map<string, number>();
    const start = performance.now();
    for (const [i, n] of steady.entries()) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      void setCn(n, expected.get(n)!).then(() => madeAt.set(n, performance.now()));
      madeAt.set(n, performance.now());
    }
    await watcher.until(60_000);
    const latencies = steady.flatMap((n) => (watcher.seenAt.has(n) ? [watcher.seenAt.get(n)! - madeAt.get(n)!] : [])).sort((a, b) => a - b);
    // The stream's first changes wait for the idle resource's next poll (up to the interval); after that, polls follow the stream.
    const streaming = steady.filter((n) => watcher.seenAt.has(n) && madeAt.get(n)! - start >= interval);
    const streamLatencies = streaming.map((n) => watcher.seenAt.get(n)! - madeAt.get(n)!).sort((a, b) => a - b);
    const stats = (l: number[]) => `p50 ${Math.round(percentile(l, 50))} ms, p99 ${Math.round(percentile(l, 99))} ms, max ${Math.round(l[l.length - 1] ?? NaN)} ms`;
    console.log(`latency at ${rate} changes/s for ${seconds} s (LDAP modify -> PostgreSQL row):`);
    console.log(`  ${latencies.length} of ${steady.length} rows followed; all: ${stats(latencies)}`);
    if (process.env.TALLY_BENCH_SLOW_MS) console.log(`  slower than ${process.env.TALLY_BENCH_SLOW_MS} ms: ${steady.flatMap((n) => { const l = (watcher.seenAt.get(n) ?? NaN) - madeAt.get(n)!; return l > Number(process.env.TALLY_BENCH_SLOW_MS) ? [`${Math.round(madeAt.get(n)! - start)} ms in: ${Math.round(l)} ms`] : []; }).join(', ')}`);
    console.log(`  the stream after its first ${interval} ms (${streamLatencies.length} changes): ${stats(streamLatencies)}; the first change after idle: ${Math.round(watcher.seenAt.get(steady[0])! - madeAt.get(steady[0])!)} ms`);

    // 2. Sustained throughput.
    const many = names.slice(0, burst);
    const expectedBurst = new Map(many.map((n) => [n, `Burst ${n}`]));
    const burstWatcher = watch(expectedBurst);
    const meter = startCpuMeter(stack.pids());
    const profile = await startProfile(process.env.TALLY_BENCH_PROFILE);
    counting = true;
    const t = performance.now();
    await withConcurrency(many, 16, (n) => setCn(n, expectedBurst.get(n)!).then(() => undefined));
    const written = performance.now() - t;
    await burstWatcher.until(600_000);
    const total = performance.now() - t;
    counting = false;
    await profile.stop();
    const cpu = meter.read();
    const burstLatencies = [...burstWatcher.seenAt.values()].map((v) => v - t).sort((a, b) => a - b);
    console.log(`sustained: ${burst} cn changes written to LDAP in ${Math.round(written)} ms (${Math.round(burst / (written / 1000))}/s, the directory's pace)`);
    console.log(`  ${burstWatcher.seenAt.size} PostgreSQL rows followed in ${Math.round(total)} ms -> ${Math.round(burstWatcher.seenAt.size / (total / 1000))} changes/s through live sync; last row ${Math.round(burstLatencies[burstLatencies.length - 1] ?? NaN)} ms after the first write`);
    printCpu(cpu, burst, 'change');
    const commandsSent = [...commands.values()].reduce((a, b) => a + b, 0);
    console.log(`  MongoDB: ${(commandsSent / burst).toFixed(1)} commands per change (${[...commands].sort((a, b) => b[1] - a[1]).map(([n, c]) => `${n} ${(c / burst).toFixed(2)}`).join(', ')})`);
    const [listing] = await liveSyncStatuses(tally.services, LDAP_OID);
    console.log(`  live sync: ${listing.status?.polls} polls, ${listing.status?.changes} changes, ${listing.status?.applied} applied, ${listing.status?.handedOver} handed over`);

    // 3. Change events over HTTP: one event per request, 50 requests in flight.
    const { api, url } = await listenApi(tally, 'bench-token');
    const sent = names.slice(0, Math.min(accounts, events));
    const tEvents = performance.now();
    let accepted = 0;
    await withConcurrency(sent, 50, async (n) => {
      const response = await fetch(`${url}/api/v1/changes`, {
        method: 'POST',
        headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' },
        body: JSON.stringify({ resource: LDAP_OID, account: `uid=${n},${base}`, changeType: 'modify', eventId: `bench-${n}` }),
      });
      if (response.status === 202) accepted += ((await response.json()) as { accepted: number }).accepted;
    });
    const acceptMs = performance.now() - tEvents;
    while ((await tally.services.repo.liveSync.countPendingChangeEvents(LDAP_OID)) > 0) await new Promise((r) => setTimeout(r, 100));
    const appliedMs = performance.now() - tEvents;
    const done = await tally.inspect.changeEvents.count({ resourceRef: LDAP_OID, done: true, eventId: /^bench-/ });
    console.log(`HTTP change events: ${sent.length} posted one per request, 50 in flight`);
    console.log(`  accepted ${accepted} in ${Math.round(acceptMs)} ms -> ${Math.round(accepted / (acceptMs / 1000))} events/s; all applied after ${Math.round(appliedMs)} ms -> ${Math.round(done / (appliedMs / 1000))} events/s; lost: ${sent.length - done}`);
    await api.close();
    await signalLiveSync(tally.services, LDAP_OID, 'stop');
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
