/**
 * The repository on a real mongod: lookups by identifier and name, versioned writes and bulk reads with
 * 1,000 and with N (default 100,000) users and shadows stored. Floor: a ping round trip in the same run.
 *
 *   npx tsx bench/repository.bench.ts [objects=100000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMongod } from '../src/dev/servers';
import { openRepository, type Repository } from '../src/repository/repository';
import type { ShadowDoc, UserDoc } from '../src/schema/objects';
import { median } from './support/measure';

const target = Number(process.argv[2] ?? 100_000);
const RESOURCE = 'resource-bench';
const samples = 2000;

function objects(from: number, to: number): { users: UserDoc[]; shadows: ShadowDoc[] } {
  const now = new Date().toISOString();
  const users: UserDoc[] = [];
  const shadows: ShadowDoc[] = [];
  for (let i = from; i < to; i++) {
    const userOid = randomUUID();
    const shadowOid = randomUUID();
    users.push({ oid: userOid, name: `user${i}`, fullName: `User ${i}`, assignment: [], linkRef: [shadowOid], version: 1, metadata: { createTimestamp: now, modifyTimestamp: now } });
    shadows.push({
      oid: shadowOid,
      resourceRef: RESOURCE,
      objectClass: 'inetOrgPerson',
      kind: 'account',
      intent: 'default',
      primaryIdentifier: `uuid-${i}`,
      secondaryIdentifier: `uid=user${i},ou=people,dc=example,dc=com`,
      attributes: { cn: [`User ${i}`] },
      ownerRef: userOid,
      exists: true,
      dead: false,
      iteration: 0,
      iterationToken: '',
      pendingOperations: [],
      version: 1,
      metadata: { createTimestamp: now, modifyTimestamp: now },
    });
  }
  return { users, shadows };
}

async function fill(repo: Repository, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 10_000) {
    const { users, shadows } = objects(i, Math.min(to, i + 10_000));
    await repo.users.insertMany(users);
    await repo.shadows.insertMany(shadows);
  }
}

async function timed(times: number, work: (i: number) => Promise<unknown>): Promise<number> {
  const each: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await work(i);
    each.push(performance.now() - t);
  }
  return median(each);
}

async function measure(repo: Repository, stored: number, commands: { count: number }) {
  const pick = (i: number) => Math.floor((i * 7919) % stored);
  const floor = await timed(samples, () => repo.ping());
  const byPrimary = await timed(samples, (i) => repo.shadows.byIdentifiers(RESOURCE, { primaryIdentifier: `uuid-${pick(i)}` }));
  const byName = await timed(samples, (i) => repo.shadows.byIdentifiers(RESOURCE, { secondaryIdentifier: `UID=user${pick(i)},ou=people,dc=example,dc=com` }));
  const userByName = await timed(samples, (i) => repo.users.byName(`user${pick(i)}`));
  const users = await repo.users.list({ limit: samples });
  const before = commands.count;
  const versioned = await timed(users.length, (i) => repo.users.update(users[i]!.oid, users[i]!.version, { set: { fullName: `Changed ${i}` } }));
  const roundTrips = (commands.count - before) / users.length;
  const oids = users.slice(0, 1000).map((u) => u.oid);
  const bulk = await timed(20, () => repo.users.byOids(oids));
  console.log(`  ${String(stored).padStart(7)} users + shadows stored:`);
  console.log(`    floor (ping round trip)           ${floor.toFixed(3)} ms`);
  console.log(`    shadow by primary identifier      ${byPrimary.toFixed(3)} ms  (${(byPrimary / floor).toFixed(1)}x floor)`);
  console.log(`    shadow by name (case-insensitive) ${byName.toFixed(3)} ms  (${(byName / floor).toFixed(1)}x floor)`);
  console.log(`    user by name                      ${userByName.toFixed(3)} ms  (${(userByName / floor).toFixed(1)}x floor)`);
  console.log(`    versioned write                   ${versioned.toFixed(3)} ms  (${roundTrips.toFixed(2)} round trips each, ${(versioned / floor).toFixed(1)}x floor)`);
  console.log(`    1,000 users by oid ($in)          ${bulk.toFixed(2)} ms`);
  return { byPrimary, byName, userByName, versioned };
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tally-bench-repo-'));
  const mongod = await startMongod({ dataDir });
  const commands = { count: 0 };
  const repo = await openRepository({ uri: mongod.uri, database: 'bench', monitorCommands: true });
  repo.onCommand(() => commands.count++);
  try {
    await repo.ensureIndexes();
    console.log(`repository on mongod (standalone), ${samples} sequential calls each, median:`);
    await fill(repo, 0, 1000);
    const small = await measure(repo, 1000, commands);
    let t = performance.now();
    await fill(repo, 1000, target);
    console.log(`  stored ${target - 1000} more users and shadows in ${Math.round(performance.now() - t)} ms`);
    t = performance.now();
    const large = await measure(repo, target, commands);
    console.log(`  ratio ${target} / 1000: by primary ${(large.byPrimary / small.byPrimary).toFixed(2)}x, by name ${(large.byName / small.byName).toFixed(2)}x, user by name ${(large.userByName / small.userByName).toFixed(2)}x, versioned write ${(large.versioned / small.versioned).toFixed(2)}x`);
  } finally {
    await repo.close();
    await mongod.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
