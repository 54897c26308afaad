/**
 * Projector throughput: users recomputed per second for a realistic configuration of 2 resources
 * (LDAP-like and SQL-like, with scripts) and 3 roles; every user has 2 roles and 2 linked accounts,
 * one of which has a stale attribute (so deltas are computed, not only compared).
 *
 *   npx tsx bench/projector.bench.ts [users]
 */
import { performance } from 'perf_hooks';
import { project, type ProjectionInput } from '../src/model';
import { objectTemplateSchema, resourceSchema, roleSchema } from '../src/schema/config';
import type { ResourceObject, ShadowDoc, UserDoc } from '../src/schema/objects';

const LDAP = 'res-ldap';
const SQL = 'res-sql';

const ldap = resourceSchema.parse({
  kind: 'Resource',
  oid: LDAP,
  name: 'LDAP',
  connector: { type: 'ldap', url: 'ldap://127.0.0.1:3890', bindDn: 'cn=admin', bindPassword: { env: 'X' }, baseContext: 'ou=people,dc=example,dc=com' },
  schemaHandling: {
    objectType: {
      default: true,
      objectClass: 'inetOrgPerson',
      attribute: [
        { ref: 'icfs:name', outbound: { strength: 'weak', source: { path: '$user/name' }, expression: { script: { code: "'uid=' + name + ',ou=people,dc=example,dc=com'" } } } },
        { ref: 'icfs:uid', access: 'read' },
        { ref: 'ri:uid', outbound: { strength: 'strong', source: { path: '$user/name' } } },
        { ref: 'ri:cn', outbound: { source: { path: '$user/fullName' } }, inbound: { target: { path: '$user/fullName' } } },
        { ref: 'ri:givenName', outbound: { source: { path: '$user/givenName' } } },
        { ref: 'ri:sn', outbound: { source: { path: '$user/familyName' } } },
        { ref: 'ri:mail', outbound: { strength: 'strong', source: { path: '$user/name' }, expression: { script: { code: "name + '@example.com'" } } } },
        { ref: 'ri:description', outbound: { expression: { value: 'Created by IDM' } } },
        { ref: 'ri:memberOf', multiValued: true, tolerant: false },
      ],
    },
  },
});

const sql = resourceSchema.parse({
  kind: 'Resource',
  oid: SQL,
  name: 'SQL',
  connector: { type: 'postgres', table: 'accounts' },
  schemaHandling: {
    objectType: {
      default: true,
      objectClass: 'account',
      attribute: [
        { ref: 'icfs:name', outbound: { strength: 'weak', source: { path: '$user/name' }, expression: { script: { code: "'cn=' + name + ',o=Acme'" } } } },
        { ref: 'icfs:uid', access: 'read' },
        { ref: 'ri:cn', outbound: { strength: 'strong', source: { path: '$user/fullName' } } },
        { ref: 'ri:email', outbound: { source: { path: '$user/emailAddress' } } },
        { ref: 'ri:title', outbound: { source: [{ path: '$user/givenName' }, { path: '$user/familyName' }], expression: { script: { code: "(givenName|upper) + ' ' + familyName" } } } },
        { ref: 'ri:groups', multiValued: true },
      ],
    },
  },
});

const roles = [
  roleSchema.parse({
    kind: 'Role',
    name: 'Employee',
    inducement: [{ construction: { resourceRef: LDAP, attribute: [{ ref: 'ri:memberOf', outbound: { strength: 'strong', expression: { value: 'cn=employees' } } }] } }],
  }),
  roleSchema.parse({
    kind: 'Role',
    name: 'Engineer',
    inducement: [
      { targetRef: 'Employee' },
      { construction: { resourceRef: SQL, attribute: [{ ref: 'ri:groups', outbound: { strength: 'strong', expression: { value: ['dev', 'ci'] } } }] } },
      { construction: { resourceRef: LDAP, attribute: [{ ref: 'ri:memberOf', outbound: { strength: 'strong', expression: { value: 'cn=engineers' } } }] } },
    ],
  }),
  roleSchema.parse({
    kind: 'Role',
    name: 'Manager',
    inducement: [
      { construction: { resourceRef: SQL, attribute: [{ ref: 'ri:groups', outbound: { strength: 'strong', expression: { value: 'managers' } } }] } },
      { focusMappings: { mapping: [{ strength: 'weak', source: { path: 'name' }, expression: { script: { code: "name + '@example.com'" } }, target: { path: 'emailAddress' } }] } },
    ],
  }),
];

const template = objectTemplateSchema.parse({
  kind: 'ObjectTemplate',
  name: 'Default',
  mapping: [{ strength: 'weak', source: [{ path: 'givenName' }, { path: 'familyName' }], expression: { script: { code: "givenName + ' ' + familyName" } }, target: { path: 'fullName' } }],
});

const metadata = { createTimestamp: '2024-01-01T00:00:00Z', modifyTimestamp: '2024-01-01T00:00:00Z' };

function shadow(oid: string, resourceRef: string, name: string): ShadowDoc {
  return {
    oid, resourceRef, objectClass: 'x', kind: 'account', intent: 'default', primaryIdentifier: `p-${oid}`, secondaryIdentifier: name,
    ownerRef: null, exists: true, dead: false, iteration: 0, iterationToken: '', pendingOperations: [], version: 1, metadata,
  };
}

function inputFor(i: number): ProjectionInput {
  const name = `user${i}`;
  const user: UserDoc = {
    oid: `u-${i}`, name, givenName: `Given${i}`, familyName: `Family${i}`, fullName: `Given${i} Family${i}`,
    assignment: [{ targetRef: 'Engineer' }, { targetRef: 'Manager' }], linkRef: [`s-l-${i}`, `s-s-${i}`], version: 1, metadata,
  };
  const ldapAccount: ResourceObject = {
    primaryIdentifier: `p-s-l-${i}`, secondaryIdentifier: `uid=${name},ou=people,dc=example,dc=com`, objectClass: 'inetOrgPerson',
    attributes: { uid: [name], cn: [user.fullName!], givenName: [user.givenName!], sn: [user.familyName!], mail: [`${name}@example.com`], description: ['Created by IDM'], memberOf: ['cn=employees', 'cn=engineers', 'cn=foreign'] },
  };
  const sqlAccount: ResourceObject = {
    primaryIdentifier: `p-s-s-${i}`, secondaryIdentifier: `cn=${name},o=Acme`, objectClass: 'account',
    attributes: { cn: [i % 2 === 0 ? 'stale name' : user.fullName!], title: [`GIVEN${i} Family${i}`], groups: ['dev'] },
  };
  return {
    user,
    changedUserPaths: ['fullName'],
    template,
    roles,
    resources: [ldap, sql],
    accounts: [
      { shadow: shadow(`s-l-${i}`, LDAP, ldapAccount.secondaryIdentifier), current: ldapAccount },
      { shadow: shadow(`s-s-${i}`, SQL, sqlAccount.secondaryIdentifier), current: sqlAccount },
    ],
  };
}

function main(): void {
  const users = Number(process.argv[2] ?? 20_000);
  const inputs = Array.from({ length: users }, (_, i) => inputFor(i));
  // Sanity: the figure is only worth reporting if the projection does the expected work.
  const sample = project(inputs[0]!);
  const plans = sample.accounts.map((a) => `${a.resourceRef}:${a.action}:${JSON.stringify(a.deltas ?? [])}`).join(' | ');
  for (let i = 0; i < 2000; i++) project(inputs[i % users]!); // warm-up (JIT, compiled mapping cache)

  const runs: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    let accounts = 0;
    for (const input of inputs) accounts += project(input).accounts.length;
    const seconds = (performance.now() - start) / 1000;
    if (accounts !== users * 2) throw new Error(`expected ${users * 2} account plans, got ${accounts}`);
    runs.push(users / seconds);
  }
  const best = Math.max(...runs);
  const median = runs.sort((a, b) => a - b)[1]!;
  console.log(`sample plan: ${plans}`);
  console.log(`projector: ${users} users x 3 runs (2 resources, 3 roles, 2 roles and 2 linked accounts per user)`);
  console.log(`projector throughput: median ${Math.round(median)} users/s, best ${Math.round(best)} users/s`);
}

main();
