/**
 * An account named again (iteration after "already exists", re-created after "not found") keeps the
 * memberships its owner's roles give by `associationFromLink`: the groups those roles are projected to.
 */
import { join } from 'node:path';
import { loadConfigFiles } from '../../../src/config/load-config';
import { accountForIteration } from '../../../src/model/projector';
import type { ResourceConfig, RoleConfig } from '../../../src/schema/config';
import { makeUser } from './fixtures';

const sample = loadConfigFiles([join(__dirname, '..', '..', '..', 'examples', 'midpoint-sample')]).objects.map((o) => o.object);
const resource = sample.find((o) => o.kind === 'Resource') as ResourceConfig & { oid: string };
const pirates = sample.find((o) => o.kind === 'Role') as RoleConfig & { oid: string };
const PIRATES_GROUP = 'cn=Pirates,ou=groups,dc=example,dc=com';

test("accountForIteration gives the iterated account the memberships of its owner's roles projected to groups", () => {
  const anne = makeUser({ name: 'anne', fullName: 'Anne Bonny', familyName: 'Bonny', assignment: [{ targetRef: pirates.oid }] });
  const roleEntitlements = { [pirates.oid]: [{ resourceRef: resource.oid, kind: 'entitlement', intent: 'ldapGroup', name: PIRATES_GROUP }] };
  const iterated = accountForIteration({ user: anne, resource, iteration: 1, roles: [pirates], roleEntitlements });
  expect(iterated.secondaryIdentifier).toBe('uid=anne1,ou=PeOpLe,dc=example,dc=com');
  expect(iterated.attributes).toMatchObject({ uid: ['anne1'], cn: ['Anne Bonny'], 'association/group': [PIRATES_GROUP] });
  // Without the roles' groups known, there is no membership to give (the projector's own rule).
  expect(accountForIteration({ user: anne, resource, iteration: 1, roles: [pirates] }).attributes['association/group']).toBeUndefined();
});
