import {
  applyAttributeDeltas,
  applyUserDeltas,
  DeltaError,
  diffAttributes,
  mergeDeltas,
  valuesEqual,
} from '../../../src/model/deltas';
import type { AttributeDelta, ItemDelta } from '../../../src/schema/objects';
import { AD_OID, jack, LDAP_OID } from './fixtures';

const adAssignment = { accountConstruction: { resourceRef: AD_OID, kind: 'account' as const, intent: 'default', attribute: [] } };
const ldapAssignment = { accountConstruction: { resourceRef: LDAP_OID, kind: 'account' as const, intent: 'default', attribute: [] } };

describe('user deltas', () => {
  test('single-valued properties: replace [v] sets, replace [] clears', () => {
    const user = applyUserDeltas(jack(), [
      { path: 'fullName', replace: ['cpt. Jack Sparrow'] },
      { path: 'emailAddress', replace: ['jack@pearl'] },
      { path: 'givenName', replace: [] },
    ]);
    expect(user.fullName).toBe('cpt. Jack Sparrow');
    expect(user.emailAddress).toBe('jack@pearl');
    expect('givenName' in user).toBe(false);
  });

  test('the input user is not changed', () => {
    const before = jack();
    applyUserDeltas(before, [{ path: 'fullName', replace: ['x'] }]);
    expect(before.fullName).toBe('Jack Sparrow');
  });

  test('assignment is multi-valued: add and delete by deep equality, duplicates not added', () => {
    let user = applyUserDeltas(jack(), [{ path: 'assignment', add: [adAssignment, ldapAssignment] }]);
    expect(user.assignment).toEqual([adAssignment, ldapAssignment]);
    user = applyUserDeltas(user, [{ path: 'assignment', add: [{ accountConstruction: { ...adAssignment.accountConstruction } }] }]);
    expect(user.assignment).toHaveLength(2);
    user = applyUserDeltas(user, [{ path: 'assignment', delete: [{ accountConstruction: { intent: 'default', attribute: [], kind: 'account', resourceRef: AD_OID } }] }]);
    expect(user.assignment).toEqual([ldapAssignment]);
  });

  test('extension values', () => {
    let user = applyUserDeltas(jack(), [{ path: 'extension/ship', replace: ['Black Pearl'] }]);
    expect(user.extension).toEqual({ ship: 'Black Pearl' });
    user = applyUserDeltas(user, [{ path: 'extension/tags', add: ['pirate', 'captain'] }]);
    expect(user.extension).toEqual({ ship: 'Black Pearl', tags: ['pirate', 'captain'] });
    user = applyUserDeltas(user, [{ path: 'extension/ship', replace: [] }]);
    expect(user.extension).toEqual({ tags: ['pirate', 'captain'] });
  });

  test.each<[string, ItemDelta]>([
    ['a second value for a single-valued property', { path: 'fullName', add: ['Another'] }],
    ['clearing the name', { path: 'name', replace: [] }],
    ['the oid', { path: 'oid', replace: ['x'] }],
    ['a prototype path', { path: '__proto__/polluted', replace: ['x'] }],
  ])('refused: %s', (_name, delta) => {
    expect(() => applyUserDeltas(jack(), [delta])).toThrow(DeltaError);
  });
});

describe('attribute deltas', () => {
  test('apply replace, add, delete; an emptied attribute disappears', () => {
    const result = applyAttributeDeltas({ cn: ['Jack'], mail: ['a@x'], sn: ['Sparrow'] }, [
      { path: 'ri:cn', replace: ['cpt. Jack'] },
      { path: 'mail', add: ['b@x'], delete: ['a@x'] },
      { path: 'sn', delete: ['Sparrow'] },
      { path: 'description', add: ['new'] },
    ]);
    expect(result).toEqual({ cn: ['cpt. Jack'], mail: ['b@x'], description: ['new'] });
  });

  test.each<[string, Record<string, string[]>, Record<string, string[]>, { multi?: string[]; intolerant?: string[] }, AttributeDelta[]]>([
    ['equal', { cn: ['a'] }, { cn: ['a'] }, {}, []],
    ['single-valued differs', { cn: ['a'] }, { cn: ['b'] }, {}, [{ path: 'cn', replace: ['b'] }]],
    ['single-valued cleared', { cn: ['a'] }, { cn: [] }, {}, [{ path: 'cn', replace: [] }]],
    ['only named attributes are compared', { cn: ['a'], sn: ['x'] }, { cn: ['a'] }, {}, []],
    ['case-insensitive attribute names', { CN: ['a'] }, { cn: ['a'] }, {}, []],
    ['multi-valued tolerant adds only', { mail: ['a', 'x'] }, { mail: ['a', 'b'] }, { multi: ['mail'] }, [{ path: 'mail', add: ['b'] }]],
    ['multi-valued not tolerant deletes the rest', { mail: ['a', 'x'] }, { mail: ['a', 'b'] }, { multi: ['mail'], intolerant: ['mail'] }, [{ path: 'mail', add: ['b'], delete: ['x'] }]],
  ])('diffAttributes: %s', (_name, current, desired, opts, expected) => {
    const deltas = diffAttributes(current, desired, {
      multiValued: (a) => (opts.multi ?? []).includes(a),
      tolerant: (a) => !(opts.intolerant ?? []).includes(a),
    });
    expect(deltas).toEqual(expected);
  });
});

describe('mergeDeltas', () => {
  test.each<[string, AttributeDelta[], AttributeDelta[], AttributeDelta[]]>([
    ['a later replace wins', [{ path: 'cn', replace: ['a'] }], [{ path: 'cn', replace: ['b'] }], [{ path: 'cn', replace: ['b'] }]],
    ['adds accumulate', [{ path: 'mail', add: ['a'] }], [{ path: 'mail', add: ['b'] }], [{ path: 'mail', add: ['a', 'b'] }]],
    ['a later delete cancels an earlier add', [{ path: 'mail', add: ['a', 'b'] }], [{ path: 'mail', delete: ['a'] }], [{ path: 'mail', add: ['b'], delete: ['a'] }]],
    ['add after replace folds into it', [{ path: 'mail', replace: ['a'] }], [{ path: 'mail', add: ['b'] }], [{ path: 'mail', replace: ['a', 'b'] }]],
    ['different paths stay apart', [{ path: 'cn', replace: ['a'] }], [{ path: 'sn', replace: ['s'] }], [{ path: 'cn', replace: ['a'] }, { path: 'sn', replace: ['s'] }]],
  ])('%s', (_name, earlier, later, expected) => {
    expect(mergeDeltas(earlier, later)).toEqual(expected);
  });

  test('merging pending modifies into a pending add = applying them to its attributes', () => {
    const pendingAdd = { cn: ['Jack Sparrow'], description: ['Created by IDM'] };
    const modifies = mergeDeltas<AttributeDelta>([{ path: 'cn', replace: ['cpt. Jack Sparrow'] }], [{ path: 'mail', add: ['jack@pearl'] }]);
    expect(applyAttributeDeltas(pendingAdd, modifies)).toEqual({ cn: ['cpt. Jack Sparrow'], description: ['Created by IDM'], mail: ['jack@pearl'] });
  });
});

test('valuesEqual is deep and ignores key order', () => {
  expect(valuesEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
  expect(valuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  expect(valuesEqual([1, 2], [2, 1])).toBe(false);
});
