import { applyUserDeltas } from '../../../src/model/deltas';
import { computeInbound } from '../../../src/model/inbound';
import { accountForIteration, project, type ProjectionInput } from '../../../src/model/projector';
import type { Assignment } from '../../../src/schema/config';
import {
  account,
  AD_OID,
  adResource,
  adResourceWith,
  defaultTemplate,
  jack,
  JACK_AD_SHADOW,
  JACK_LDAP_SHADOW,
  jackAdShadow,
  jackLdapShadow,
  LDAP_OID,
  ldapObjectType,
  ldapResource,
  makeShadow,
  makeUser,
  role,
} from './fixtures';

const adAssignment: Assignment = { accountConstruction: { resourceRef: AD_OID, kind: 'account', intent: 'default', attribute: [] } };
const jackLdap = (cn: string) =>
  account('uid=jack,ou=people,dc=example,dc=com', { uid: ['jack'], cn: [cn], givenName: ['Jack'], sn: ['Sparrow'], description: ['Created by IDM'] }, '12345678-d34d-b33f-f00d-999888777666');
const jackAd = (cn: string) => account('cn=jack,o=Acme', { cn: [cn] }, 'ad-jack-1');

const base = (overrides: Partial<ProjectionInput>): ProjectionInput => ({
  user: jack(),
  roles: [],
  resources: [ldapResource, adResource],
  accounts: [],
  ...overrides,
});

describe('projector', () => {
  describe("the seeds' modification scenario", () => {
    const input = () =>
      base({
        user: applyUserDeltas(jack(), computeInbound({ objectType: ldapObjectType, account: jackLdap('cpt. Jack Sparrow'), user: jack(), changedAttributes: ['cn'] })),
        changedUserPaths: ['fullName'],
        accounts: [
          { shadow: jackLdapShadow, current: jackLdap('cpt. Jack Sparrow') },
          { shadow: jackAdShadow, current: jackAd('Jack Sparrow') },
        ],
      });

    test('fullName changed -> the AD account gets cn modified, the LDAP account stays as it is', () => {
      const projection = project(input());
      expect(projection.user.fullName).toBe('cpt. Jack Sparrow');
      expect(projection.userDeltas).toEqual([]);
      expect(projection.accounts).toEqual([
        {
          resourceRef: LDAP_OID,
          kind: 'account',
          intent: 'default',
          objectClass: 'ri:AccountObjectClass',
          shadowOid: JACK_LDAP_SHADOW,
          action: 'keep',
          reason: 'linked account (relative enforcement keeps it without an assignment)',
        },
        {
          resourceRef: AD_OID,
          kind: 'account',
          intent: 'default',
          objectClass: 'ri:AccountObjectClass',
          shadowOid: JACK_AD_SHADOW,
          action: 'modify',
          deltas: [{ path: 'cn', replace: ['cpt. Jack Sparrow'] }],
          reason: 'linked account (relative enforcement keeps it without an assignment)',
        },
      ]);
    });

    test('an account not read (current null) is compared with the shadow cache, or given a replace when nothing is cached', () => {
      const noCache = project({ ...input(), accounts: [{ shadow: jackAdShadow, current: null }] });
      expect(noCache.accounts[0]).toMatchObject({ action: 'modify', deltas: [{ path: 'cn', replace: ['cpt. Jack Sparrow'] }] });
      const cachedSame = project({ ...input(), accounts: [{ shadow: { ...jackAdShadow, attributes: { cn: ['cpt. Jack Sparrow'] } }, current: null }] });
      expect(cachedSame.accounts[0]).toMatchObject({ action: 'keep' });
    });
  });

  test("the seeds' creation scenario: a new user from an LDAP account -> AD account added as cn=will,o=Acme", () => {
    const willLdap = account('uid=will,ou=people,dc=example,dc=com', { uid: ['will'], cn: ['Will Turner'], givenName: ['Will'], sn: ['Turner'] }, '12345678-d34d-b33f-f00d-999888777111');
    const inbound = computeInbound({ objectType: ldapObjectType, account: willLdap, user: null });
    const will = applyUserDeltas(makeUser({ oid: 'will-oid', name: 'will' }), inbound);
    const shadow = makeShadow({ oid: 'c0c010c0-d34d-b33f-f00d-222111111121', resourceRef: LDAP_OID, secondaryIdentifier: willLdap.secondaryIdentifier, primaryIdentifier: willLdap.primaryIdentifier, ownerRef: 'will-oid' });

    const projection = project(base({ user: will, template: defaultTemplate, accounts: [{ shadow, current: willLdap }] }));

    expect(projection.user).toMatchObject({ name: 'will', fullName: 'Will Turner', givenName: 'Will', familyName: 'Turner', assignment: [adAssignment] });
    expect(projection.userDeltas).toEqual([{ path: 'assignment', add: [adAssignment] }]);
    expect(projection.accounts).toEqual([
      expect.objectContaining({ resourceRef: LDAP_OID, action: 'modify', deltas: [{ path: 'description', replace: ['Created by IDM'] }] }),
      {
        resourceRef: AD_OID,
        kind: 'account',
        intent: 'default',
        objectClass: 'ri:AccountObjectClass',
        action: 'add',
        secondaryIdentifier: 'cn=will,o=Acme',
        attributes: { cn: ['Will Turner'] },
        reason: 'assigned directly',
      },
    ]);
  });

  describe('which accounts must exist', () => {
    const pirate = role({ name: 'Pirate', inducement: [{ construction: { resourceRef: AD_OID } }] });
    const sailor = role({ name: 'Sailor', inducement: [{ construction: { resourceRef: 'MyLittleAD' } }] });

    test('unassign -> delete (relative enforcement)', () => {
      const projection = project(base({ user: jack({ assignment: [] }), removedAssignments: [adAssignment], accounts: [{ shadow: jackAdShadow, current: jackAd('Jack Sparrow') }] }));
      expect(projection.accounts).toEqual([
        expect.objectContaining({ action: 'delete', shadowOid: JACK_AD_SHADOW, reason: 'unassigned: direct account assignment was removed and no other assignment requires this account' }),
      ]);
    });

    test('unassigning one role keeps the account another role still induces', () => {
      const accounts = [{ shadow: jackAdShadow, current: jackAd('Jack Sparrow') }];
      const kept = project(base({ user: jack({ assignment: [{ targetRef: 'Sailor' }] }), roles: [pirate, sailor], removedAssignments: [{ targetRef: 'Pirate' }], accounts }));
      expect(kept.accounts).toEqual([expect.objectContaining({ action: 'keep', reason: 'induced by role Sailor' })]);
      const gone = project(base({ user: jack({ assignment: [] }), roles: [pirate, sailor], removedAssignments: [{ targetRef: 'Pirate' }], accounts }));
      expect(gone.accounts).toEqual([expect.objectContaining({ action: 'delete', reason: expect.stringContaining('role Pirate was removed') })]);
    });

    test.each([
      ['full', 'delete'],
      ['relative', 'keep'],
      ['none', 'keep'],
    ] as const)('a linked account without assignment under %s enforcement -> %s', (enforcement, action) => {
      const projection = project(base({ resources: [adResourceWith({ enforcement })], accounts: [{ shadow: jackAdShadow, current: jackAd('Jack Sparrow') }] }));
      expect(projection.accounts.map((a) => a.action)).toEqual([action]);
    });

    test('none enforcement never deletes, even when the assignment was removed', () => {
      const projection = project(base({ resources: [adResourceWith({ enforcement: 'none' })], removedAssignments: [adAssignment], accounts: [{ shadow: jackAdShadow, current: jackAd('Jack Sparrow') }] }));
      expect(projection.accounts.map((a) => a.action)).toEqual(['keep']);
    });

    test('a role assigned -> account added with role construction attributes merged into outbound', () => {
      const captain = role({
        name: 'Captain',
        inducement: [
          { construction: { resourceRef: AD_OID, attribute: [{ ref: 'ri:title', outbound: { expression: { value: 'Captain' } } }, { ref: 'ri:memberOf', outbound: { expression: { value: 'captains' } } }] } },
          { targetRef: 'Pirate' },
        ],
      });
      const pirateGroups = role({ name: 'Pirate', inducement: [{ construction: { resourceRef: AD_OID, attribute: [{ ref: 'ri:memberOf', outbound: { expression: { value: 'pirates' } } }] } }] });
      const resources = [adResourceWith({ attributes: [{ ref: 'ri:memberOf', multiValued: true }] })];
      const projection = project(base({ user: jack({ assignment: [{ targetRef: 'Captain' }] }), roles: [captain, pirateGroups], resources }));
      expect(projection.accounts).toEqual([
        expect.objectContaining({
          action: 'add',
          secondaryIdentifier: 'cn=jack,o=Acme',
          attributes: { cn: ['Jack Sparrow'], memberOf: ['captains', 'pirates'], title: ['Captain'] },
          reason: 'induced by role Captain; induced by role Pirate (via Captain)',
        }),
      ]);
    });

    test('a dead shadow is ignored: the assignment gets a new account', () => {
      const projection = project(base({ user: jack({ assignment: [adAssignment] }), accounts: [{ shadow: { ...jackAdShadow, dead: true }, current: null }] }));
      expect(projection.accounts).toEqual([expect.objectContaining({ action: 'add', secondaryIdentifier: 'cn=jack,o=Acme' })]);
    });

    test('role focus mappings change the user', () => {
      const marked = role({ name: 'Marked', inducement: [{ focusMappings: { mapping: [{ strength: 'strong', expression: { value: 'pirate' }, target: { path: 'extension/kind' } }] } }] });
      const projection = project(base({ user: jack({ assignment: [{ targetRef: 'Marked' }] }), roles: [marked] }));
      expect(projection.userDeltas).toEqual([{ path: 'extension/kind', replace: ['pirate'] }]);
      expect(projection.user.extension).toEqual({ kind: 'pirate' });
    });

    test('unknown resources and roles are clear errors', () => {
      expect(() => project(base({ user: jack({ assignment: [{ targetRef: 'Ghost' }] }) }))).toThrow("unknown role 'Ghost'");
      const ghostAssignment: Assignment = { accountConstruction: { resourceRef: 'Ghost', kind: 'account', intent: 'default', attribute: [] } };
      expect(() => project(base({ user: jack({ assignment: [ghostAssignment] }) }))).toThrow("an account construction (assigned directly) refers to unknown resource 'Ghost'");
    });
  });

  describe('outbound strengths against the account as it is', () => {
    const run = (strength: 'weak' | 'normal' | 'strong', currentCn: string | undefined, changed: string[] | undefined) =>
      project(
        base({
          resources: [adResourceWith({ cnStrength: strength })],
          changedUserPaths: changed,
          accounts: [{ shadow: jackAdShadow, current: account('cn=jack,o=Acme', currentCn === undefined ? {} : { cn: [currentCn] }) }],
        }),
      ).accounts[0]!;

    test.each<['weak' | 'normal' | 'strong', string | undefined, string[] | undefined, unknown]>([
      ['strong', 'Hacked', [], [{ path: 'cn', replace: ['Jack Sparrow'] }]],
      ['strong', 'Jack Sparrow', [], undefined],
      ['normal', 'Hacked', [], undefined],
      ['normal', 'Hacked', ['fullName'], [{ path: 'cn', replace: ['Jack Sparrow'] }]],
      ['normal', 'Hacked', undefined, [{ path: 'cn', replace: ['Jack Sparrow'] }]],
      ['weak', 'Hacked', undefined, undefined],
      ['weak', undefined, [], [{ path: 'cn', replace: ['Jack Sparrow'] }]],
    ])('%s cn, account cn %j, changed %j -> %j', (strength, currentCn, changed, deltas) => {
      expect(run(strength, currentCn, changed).deltas).toEqual(deltas);
    });

    test('strong reverts a foreign edit found by reconciliation', () => {
      expect(run('strong', 'Davy Jones was here', undefined)).toMatchObject({ action: 'modify', deltas: [{ path: 'cn', replace: ['Jack Sparrow'] }] });
    });

    test('read-only attributes never get values; icfs:uid is never written', () => {
      const resources = [adResourceWith({ attributes: [{ ref: 'ri:whenCreated', access: ['read'], outbound: { strength: 'strong', expression: { value: 'now' } } }] })];
      const added = project(base({ user: jack({ assignment: [adAssignment] }), resources })).accounts[0]!;
      expect(added.attributes).toEqual({ cn: ['Jack Sparrow'] });
      const existing = project(base({ resources, accounts: [{ shadow: jackAdShadow, current: account('cn=jack,o=Acme', { cn: ['Jack Sparrow'], whenCreated: ['x'] }) }] })).accounts[0]!;
      expect(existing.action).toBe('keep');
    });

    test('non-tolerant multi-valued attribute: values no mapping produces are deleted', () => {
      const resources = [adResourceWith({ attributes: [{ ref: 'ri:memberOf', multiValued: true, tolerant: false, outbound: { strength: 'strong', expression: { value: ['crew'] } } }] })];
      const current = account('cn=jack,o=Acme', { cn: ['Jack Sparrow'], memberOf: ['navy'] });
      const plan = project(base({ resources, changedUserPaths: [], accounts: [{ shadow: jackAdShadow, current }] })).accounts[0]!;
      expect(plan.deltas).toEqual([{ path: 'memberOf', add: ['crew'], delete: ['navy'] }]);
      const tolerantResources = [adResourceWith({ attributes: [{ ref: 'ri:memberOf', multiValued: true, outbound: { strength: 'strong', expression: { value: ['crew'] } } }] })];
      const tolerant = project(base({ resources: tolerantResources, changedUserPaths: [], accounts: [{ shadow: jackAdShadow, current }] })).accounts[0]!;
      expect(tolerant.deltas).toEqual([{ path: 'memberOf', add: ['crew'] }]);
    });

    test('a strong mapping whose condition turns false removes its value', () => {
      const resources = [
        adResourceWith({ attributes: [{ ref: 'ri:title', outbound: { strength: 'strong', source: { path: '$user/extension/rank' }, condition: { script: { code: "rank == 'captain'" } }, expression: { script: { code: 'rank|upper' } } } }] }),
      ];
      const current = account('cn=jack,o=Acme', { cn: ['Jack Sparrow'], title: ['CAPTAIN'] });
      const demoted = project(base({ user: jack({ extension: { rank: 'CAPTAIN' } }), resources, changedUserPaths: [], accounts: [{ shadow: jackAdShadow, current }] })).accounts[0]!;
      expect(demoted.deltas).toEqual([{ path: 'title', replace: [] }]);
    });

    test('a strong icfs:name mapping renames the account', () => {
      const plan = project(base({ user: jack({ name: 'jacky' }), resources: [adResourceWith({ nameStrength: 'strong' })], accounts: [{ shadow: jackAdShadow, current: jackAd('Jack Sparrow') }] })).accounts[0]!;
      expect(plan).toMatchObject({ action: 'modify', secondaryIdentifier: 'cn=jacky,o=Acme', deltas: [] });
      const same = project(base({ resources: [adResourceWith({ nameStrength: 'strong' })], accounts: [{ shadow: jackAdShadow, current: account('CN=jack, O=Acme', { cn: ['Jack Sparrow'] }) }] })).accounts[0]!;
      expect(same.action).toBe('keep');
    });
  });

  test('accountForIteration names iterated accounts jack, jack1, jack2', () => {
    const user = jack();
    expect([0, 1, 2].map((iteration) => accountForIteration({ user, resource: adResource, iteration, roles: [] }).secondaryIdentifier)).toEqual([
      'cn=jack,o=Acme',
      'cn=jack1,o=Acme',
      'cn=jack2,o=Acme',
    ]);
    expect(accountForIteration({ user, resource: ldapResource, iteration: 1, roles: [] })).toEqual({
      secondaryIdentifier: 'uid=jack1,ou=people,dc=example,dc=com',
      iterationToken: '1',
      attributes: { cn: ['Jack Sparrow'], givenName: ['Jack'], sn: ['Sparrow'], description: ['Created by IDM'] },
    });
  });
});
