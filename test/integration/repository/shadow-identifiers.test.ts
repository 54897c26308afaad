/** Finding shadows by their resource object's identifiers, and one shadow per object even under races. */
import { openRepository, type Repository } from '../../../src/repository/repository';
import { ensureShadow } from '../../../src/provisioning/shadows';
import { resourceSchema } from '../../../src/schema/config';
import { getStack } from '../../support/stack';
import { RepositoryInspector } from '../../support/repository-inspector';

let repo: Repository;
let inspect: RepositoryInspector;
const resource = {
  ...resourceSchema.parse({
    kind: 'Resource',
    name: 'Directory',
    connector: { type: 'postgres', table: 'accounts' },
    schemaHandling: { objectType: [{ default: true, objectClass: 'accounts' }] },
  }),
  oid: 'resource-1',
};

beforeAll(async () => {
  const database = `shadow_ids_${process.pid}_${Date.now()}`;
  repo = await openRepository({ uri: getStack().mongo.uri, database });
  inspect = new RepositoryInspector(getStack().mongo.uri, database);
  await repo.ensureIndexes();
});
afterAll(async () => {
  await repo?.close();
  await inspect?.close();
});

test('five concurrent changes of a new object create exactly one shadow', async () => {
  const object = { primaryIdentifier: 'uuid-race', secondaryIdentifier: 'uid=race,ou=people' };
  const results = await Promise.all(Array.from({ length: 5 }, () => ensureShadow({ repo }, resource, object, 'live-sync')));
  expect(new Set(results.map((r) => r.shadow.oid)).size).toBe(1);
  expect(results.filter((r) => r.created)).toHaveLength(1);
  expect(await inspect.shadows.count({ primaryIdentifier: 'uuid-race' })).toBe(1);
});

test('a renamed object keeps its shadow; the new name finds it, the old one no longer does', async () => {
  const { shadow } = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-ren', secondaryIdentifier: 'uid=old,ou=people' }, 'recon');
  const renamed = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-ren', secondaryIdentifier: 'uid=new,ou=people' }, 'recon');
  expect(renamed).toMatchObject({ created: false, shadow: { oid: shadow.oid, secondaryIdentifier: 'uid=new,ou=people' } });
  expect((await repo.shadows.byIdentifiers('resource-1', { secondaryIdentifier: 'UID=NEW,ou=people' }))?.oid).toBe(shadow.oid);
  expect(await repo.shadows.byIdentifiers('resource-1', { secondaryIdentifier: 'uid=old,ou=people' })).toBeNull();
  expect(await repo.shadows.byIdentifiers('other-resource', { primaryIdentifier: 'uuid-ren' })).toBeNull();
});

test('a deleted shadow is found no more, and its object gets a new shadow', async () => {
  const { shadow } = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-del', secondaryIdentifier: 'uid=del,ou=people' }, 'recon');
  await repo.shadows.delete(shadow.oid);
  expect(await repo.shadows.byIdentifiers('resource-1', { primaryIdentifier: 'uuid-del' })).toBeNull();
  const again = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-del', secondaryIdentifier: 'uid=del,ou=people' }, 'recon');
  expect(again.created).toBe(true);
  expect(again.shadow.oid).not.toBe(shadow.oid);
});

test('two live shadows never hold one name: the older one is stale and stops claiming it', async () => {
  const { shadow: old } = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-gone', secondaryIdentifier: 'uid=reused,ou=people' }, 'recon');
  // The object was deleted behind Tally's back and another one got its name.
  const { shadow: fresh, created } = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-new', secondaryIdentifier: 'uid=Reused,ou=people' }, 'recon');
  expect(created).toBe(true);
  expect(await repo.shadows.get(old.oid)).toMatchObject({ exists: false });
  expect(await repo.shadows.get(fresh.oid)).toMatchObject({ exists: true });
  expect((await repo.shadows.byIdentifiers('resource-1', { secondaryIdentifier: 'uid=reused,ou=people' }))?.oid).toBe(fresh.oid);
});

test('one executor at a time claims a pending operation; a claim past its end is taken over', async () => {
  const { shadow } = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-claim', secondaryIdentifier: 'uid=claim,ou=people' }, 'recon');
  const op = { id: 'op-1', type: 'modify' as const, delta: [], attemptNumber: 0, requestTimestamp: '2026-01-01T00:00:00Z', result: { status: 'in-progress' as const } };
  await repo.shadows.modify(shadow.oid, () => ({ set: { pendingOperations: [op] } }));
  const claims = await Promise.all(Array.from({ length: 5 }, () => repo.shadows.claimPendingOperation(shadow.oid, 'op-1', '2026-01-01T00:00:00Z', '2026-01-01T00:02:00Z')));
  expect(claims.filter((c) => c !== null)).toHaveLength(1);
  expect(await repo.shadows.claimPendingOperation(shadow.oid, 'op-1', '2026-01-01T00:01:00Z', '2026-01-01T00:03:00Z')).toBeNull();
  expect(await repo.shadows.claimPendingOperation(shadow.oid, 'op-1', '2026-01-01T00:05:00Z', '2026-01-01T00:07:00Z')).not.toBeNull();
  const finished = await repo.shadows.finishPendingOperation(shadow.oid, 'op-1', { set: { attributes: { cn: ['x'] } } });
  expect(finished).toMatchObject({ pendingOperations: [], attributes: { cn: ['x'] } });
});

test("an activity's later attempt takes over its own claim before the claim ends; nobody else does", async () => {
  const { shadow } = await ensureShadow({ repo }, resource, { primaryIdentifier: 'uuid-own-claim', secondaryIdentifier: 'uid=own-claim,ou=people' }, 'recon');
  const op = { id: 'op-2', type: 'add' as const, attributes: {}, attemptNumber: 0, requestTimestamp: '2026-01-01T00:00:00Z', result: { status: 'in-progress' as const } };
  await repo.shadows.modify(shadow.oid, () => ({ set: { pendingOperations: [op] } }));
  const attempt = 'provision:x/run-1/3';
  expect(await repo.shadows.claimPendingOperation(shadow.oid, 'op-2', '2026-01-01T00:00:00Z', '2026-01-01T00:02:00Z', attempt)).toMatchObject({ pendingOperations: [{ executing: true, executingBy: attempt }] });
  expect(await repo.shadows.claimPendingOperation(shadow.oid, 'op-2', '2026-01-01T00:00:10Z', '2026-01-01T00:02:10Z', 'provision:x/run-1/4')).toBeNull();
  expect(await repo.shadows.claimPendingOperation(shadow.oid, 'op-2', '2026-01-01T00:00:10Z', '2026-01-01T00:02:10Z')).toBeNull();
  expect(await repo.shadows.claimPendingOperation(shadow.oid, 'op-2', '2026-01-01T00:00:10Z', '2026-01-01T00:02:10Z', attempt)).toMatchObject({ pendingOperations: [{ executingUntil: '2026-01-01T00:02:10Z' }] });
});
