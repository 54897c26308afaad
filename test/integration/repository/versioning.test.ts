/** Optimistic concurrency on the real repository (mongod): lost races are detected, never silently overwritten. */
import { MongoClient } from 'mongodb';
import { Repository } from '../../../src/repository/repository';
import { VersionConflictError } from '../../../src/repository/errors';
import { modifyWithRetry, updateVersioned } from '../../../src/repository/versioned';
import type { UserDoc } from '../../../src/schema/objects';
import { getStack } from '../../support/stack';

let client: MongoClient;
let repo: Repository;

const user = (oid: string, name: string): UserDoc => ({
  oid,
  name,
  assignment: [],
  linkRef: [],
  version: 1,
  metadata: { createTimestamp: '2026-01-01T00:00:00Z', modifyTimestamp: '2026-01-01T00:00:00Z' },
});

beforeAll(async () => {
  client = new MongoClient(getStack().mongo.uri);
  await client.connect();
  repo = new Repository(client.db(`versioning_${process.pid}_${Date.now()}`));
  await repo.ensureIndexes();
});
afterAll(async () => client?.close());

test('an update with a stale version is refused and leaves the document as it was', async () => {
  await repo.insertUser(user('u-stale', 'stale'));
  const first = await updateVersioned(repo.users, 'u-stale', 1, { $set: { fullName: 'First Writer' } });
  expect(first.version).toBe(2);
  await expect(updateVersioned(repo.users, 'u-stale', 1, { $set: { fullName: 'Second Writer' } })).rejects.toBeInstanceOf(VersionConflictError);
  const stored = await repo.users.findOne({ oid: 'u-stale' });
  expect(stored).toMatchObject({ fullName: 'First Writer', version: 2 });
});

test('concurrent read-modify-writes all land: each lost race re-reads and retries', async () => {
  await repo.insertUser(user('u-race', 'race'));
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      modifyWithRetry(repo.users, 'u-race', (current) => ({ $set: { linkRef: [...current.linkRef, `shadow-${i}`] } }), 50),
    ),
  );
  const stored = await repo.users.findOne({ oid: 'u-race' });
  expect(stored!.linkRef.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `shadow-${i}`).sort());
  expect(stored!.version).toBe(13);
});

test('unique names are enforced by the repository', async () => {
  await repo.insertUser(user('u-a', 'same-name'));
  await expect(repo.insertUser(user('u-b', 'same-name'))).rejects.toMatchObject({ code: 11000 });
});
