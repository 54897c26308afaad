import { applyTemplate } from '../../../src/model/template';
import { objectTemplateSchema } from '../../../src/schema/config';
import { AD_OID, defaultTemplate, LDAP_OID, makeUser } from './fixtures';

const adAssignment = { accountConstruction: { resourceRef: AD_OID, kind: 'account', intent: 'default', attribute: [] } };

describe('object template', () => {
  test('weak fullName from givenName + familyName when empty; weak assignment to the AD resource', () => {
    const will = makeUser({ name: 'will', givenName: 'Will', familyName: 'Turner' });
    const result = applyTemplate({ user: will, template: defaultTemplate });
    expect(result.user.fullName).toBe('Will Turner');
    expect(result.user.assignment).toEqual([adAssignment]);
    expect(result.deltas).toEqual([
      { path: 'fullName', replace: ['Will Turner'] },
      { path: 'assignment', add: [adAssignment] },
    ]);
  });

  test('the weak fullName mapping does not override a value from an inbound mapping', () => {
    const will = makeUser({ name: 'will', givenName: 'Will', familyName: 'Turner', fullName: 'William Turner' });
    const result = applyTemplate({ user: will, template: defaultTemplate });
    expect(result.user.fullName).toBe('William Turner');
    expect(result.deltas.map((d) => d.path)).toEqual(['assignment']);
  });

  test('weak assignment is added only when the user has no assignment at all', () => {
    const other = { accountConstruction: { resourceRef: LDAP_OID, kind: 'account' as const, intent: 'default', attribute: [] } };
    const will = makeUser({ name: 'will', fullName: 'Will', assignment: [other] });
    const result = applyTemplate({ user: will, template: defaultTemplate });
    expect(result.user.assignment).toEqual([other]);
    expect(result.deltas).toEqual([]);
  });

  test('missing source: the weak script yields nothing instead of "Will undefined"', () => {
    const result = applyTemplate({ user: makeUser({ name: 'will', givenName: 'Will', assignment: [adAssignment as never] }), template: defaultTemplate });
    expect(result.user.fullName).toBeUndefined();
    expect(result.deltas).toEqual([]);
  });

  const template = (strength: string) =>
    objectTemplateSchema.parse({
      kind: 'ObjectTemplate',
      name: 'T',
      mapping: [{ strength, source: [{ path: 'name' }], expression: { script: { code: "name + '@pearl.example'" } }, target: { path: 'emailAddress' } }],
    });

  test.each<[string, string | undefined, string[] | undefined, string | undefined]>([
    ['weak', undefined, undefined, 'jack@pearl.example'],
    ['weak', 'old@x', undefined, 'old@x'],
    ['normal', 'old@x', undefined, 'jack@pearl.example'],
    ['normal', 'old@x', ['fullName'], 'old@x'],
    ['normal', 'old@x', ['name'], 'jack@pearl.example'],
    ['strong', 'old@x', [], 'jack@pearl.example'],
  ])('%s template mapping, email %j, changed %j -> %j', (strength, current, changed, expected) => {
    const user = makeUser({ name: 'jack', ...(current ? { emailAddress: current } : {}) });
    expect(applyTemplate({ user, template: template(strength), changedUserPaths: changed }).user.emailAddress).toBe(expected);
  });

  test('mappings chain: a later mapping sees what an earlier one set', () => {
    const t = objectTemplateSchema.parse({
      kind: 'ObjectTemplate',
      name: 'Chain',
      mapping: [
        { strength: 'weak', source: [{ path: 'givenName' }, { path: 'familyName' }], expression: { script: { code: "givenName + ' ' + familyName" } }, target: { path: 'fullName' } },
        { source: [{ path: 'fullName' }], expression: { script: { code: 'fullName|upper' } }, target: { path: 'extension/displayName' } },
      ],
    });
    const result = applyTemplate({ user: makeUser({ name: 'will', givenName: 'Will', familyName: 'Turner' }), template: t, changedUserPaths: ['givenName'] });
    expect(result.user.extension).toEqual({ displayName: 'WILL TURNER' });
  });

  test('a value that is not an assignment is a clear error', () => {
    const t = objectTemplateSchema.parse({ kind: 'ObjectTemplate', name: 'Bad', mapping: [{ expression: { value: { assignment: { nothing: 1 } } }, target: { path: 'assignment' } }] });
    expect(() => applyTemplate({ user: makeUser({ name: 'x' }), template: t })).toThrow(/mapping of object template Bad: the value is not an assignment/);
  });
});
