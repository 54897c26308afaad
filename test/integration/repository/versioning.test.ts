/** Optimistic concurrency on the real repository (mongod): lost races are detected, never silently overwritten. */
import { openRepository, type Repository, type UserStore } from '../../../src/repository/repository';
import { VersionConflictError } from '../../../src/repository/errors';
import { changeUser } from '../../../src/sync/user-changes';
import type { UserDoc } from '../../../src/schema/objects';
import { getStack } from '../../support/stack';

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
  repo = await openRepository({ uri: getStack().mongo.uri, database: `versioning_${process.pid}_${Date.now()}` });
  await repo.ensureIndexes();
});
afterAll(async () => repo?.close());

test('an update with a stale version is refused and leaves the document as it was', async () => {
  await repo.users.insert(user('u-stale', 'stale'));
  const first = await repo.users.update('u-stale', 1, { set: { fullName: 'First Writer' } });
  expect(first.version).toBe(2);
  await expect(repo.users.update('u-stale', 1, { set: { fullName: 'Second Writer' } })).rejects.toBeInstanceOf(VersionConflictError);
  expect(await repo.users.get('u-stale')).toMatchObject({ fullName: 'First Writer', version: 2 });
});

test('concurrent read-modify-writes all land: each lost race re-reads and retries', async () => {
  await repo.users.insert(user('u-race', 'race'));
  const now = '2026-01-02T00:00:00Z';
  await Promise.all(
    Array.from({ length: 12 }, (_, i) => changeUser(repo, 'u-race', 'user', now, (current) => ({ ...current, extension: { ...current.extension, [`k${i}`]: i } }))),
  );
  const stored = await repo.users.get('u-race');
  expect(Object.keys(stored!.extension ?? {}).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
  expect(stored!.version).toBe(13);
});

test('links are added and removed atomically, each once, whatever the concurrency', async () => {
  await repo.users.insert(user('u-links', 'links'));
  await Promise.all(Array.from({ length: 12 }, (_, i) => repo.linkShadow('u-links', `shadow-${i % 6}`)));
  expect((await repo.users.get('u-links'))!.linkRef.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `shadow-${i}`).sort());
  await Promise.all([repo.unlinkShadow('u-links', 'shadow-0'), repo.unlinkShadow('u-links', 'shadow-0'), repo.unlinkShadow('u-links', 'shadow-1')]);
  expect((await repo.users.get('u-links'))!.linkRef.sort()).toEqual(['shadow-2', 'shadow-3', 'shadow-4', 'shadow-5']);
});

test('unique names are enforced by the repository', async () => {
  await repo.users.insert(user('u-a', 'same-name'));
  await expect(repo.users.insert(user('u-b', 'same-name'))).rejects.toMatchObject({ code: 11000 });
});

test('correlation conditions find users by equality, any of several values, and/or; no value matches nobody', async () => {
  await repo.users.insert({ ...user('u-will', 'will'), emailAddress: 'will@pearl', extension: { employeeNumber: '42' } });
  await repo.users.insert({ ...user('u-anne', 'anne'), emailAddress: 'anne@pearl' });
  const names = async (condition: Parameters<UserStore['matching']>[0]) => (await repo.users.matching(condition, 10)).map((u) => u.name).sort();
  expect(await names({ equal: { field: 'name', values: ['will'] } })).toEqual(['will']);
  expect(await names({ equal: { field: 'emailAddress', values: ['will@pearl', 'anne@pearl'] } })).toEqual(['anne', 'will']);
  expect(await names({ equal: { field: 'extension.employeeNumber', values: ['42'] } })).toEqual(['will']);
  expect(await names({ equal: { field: 'name', values: [] } })).toEqual([]);
  expect(await names({ and: [{ equal: { field: 'name', values: ['will'] } }, { or: [{ equal: { field: 'emailAddress', values: ['x'] } }] }] })).toEqual([]);
});

test('a changed configuration is read again; an unchanged one comes from the snapshot', async () => {
  const before = await repo.config.snapshot();
  expect(await repo.config.snapshot()).toBe(before);
  await repo.config.insert('Role', { kind: 'Role', oid: 'role-x', name: 'X', inducement: [], version: 1, storedAt: 'now' } as never);
  const after = await repo.config.snapshot();
  expect(after).not.toBe(before);
  expect(after.roles.map((r) => r.name)).toEqual(['X']);
  expect((await repo.config.role('X'))?.oid).toBe('role-x');
});

test("another process's apply is in the next snapshot at once; a recent snapshot may lag by the check interval", async () => {
  const database = `config_two_${process.pid}_${Date.now()}`;
  const worker = await openRepository({ uri: getStack().mongo.uri, database, configCheckIntervalMs: 60_000 });
  const apply = await openRepository({ uri: getStack().mongo.uri, database });
  try {
    expect((await worker.config.recentSnapshot()).roles).toEqual([]);
    await apply.config.insert('Role', { kind: 'Role', oid: 'role-y', name: 'Y', inducement: [], version: 1, storedAt: 'now' } as never);
    expect((await worker.config.recentSnapshot()).roles).toEqual([]);
    expect((await worker.config.snapshot()).roles.map((r) => r.name)).toEqual(['Y']);
    // A lookup by name that the recent snapshot misses looks again.
    await apply.config.insert('Role', { kind: 'Role', oid: 'role-z', name: 'Z', inducement: [], version: 1, storedAt: 'now' } as never);
    expect((await worker.config.role('Z'))?.oid).toBe('role-z');
  } finally {
    await Promise.all([worker.close(), apply.close()]);
  }
});
