import { compileMapping, evaluateMapping, userChangeKeys } from '../../../src/model/mappings';
import type { Strength } from '../../../src/schema/config';
import { jack } from './fixtures';

const mapping = (strength: Strength, extra: Record<string, unknown> = {}) =>
  compileMapping(
    { strength, source: [{ path: '$user/fullName' }], ...extra },
    { context: { role: 'outbound mapping', attribute: 'cn', resource: 'MyLittleAD' } },
  );

describe('mapping strength', () => {
  // [strength, target values (undefined = unknown), changed user paths (undefined = unknown), applies]
  test.each<[Strength, string[] | undefined, string[] | undefined, boolean]>([
    ['weak', [], ['fullName'], true],
    ['weak', ['Old'], ['fullName'], false],
    ['weak', ['Old'], undefined, false],
    ['weak', undefined, undefined, false],
    ['normal', ['Old'], ['fullName'], true],
    ['normal', ['Old'], ['givenName'], false],
    ['normal', ['Old'], [], false],
    ['normal', ['Old'], undefined, true],
    ['normal', [], ['$user/fullName'], true],
    ['strong', ['Old'], [], true],
    ['strong', ['Old'], ['givenName'], true],
    ['strong', undefined, undefined, true],
  ])('%s, target %j, changed %j -> applies %s', (strength, target, changed, applies) => {
    const output = evaluateMapping(mapping(strength), {
      vars: { user: jack() },
      changed: changed === undefined ? undefined : userChangeKeys(changed),
      targetValues: target,
    });
    expect(output.applies).toBe(applies);
    expect(output.values).toEqual(['Jack Sparrow']);
  });

  test('a change of a parent path counts for a nested source', () => {
    const m = compileMapping({ strength: 'normal', source: [{ path: '$user/extension/ship' }] }, { context: {} });
    const out = evaluateMapping(m, { vars: { user: jack({ extension: { ship: 'Pearl' } }) }, changed: userChangeKeys(['extension']), targetValues: [] });
    expect(out.applies).toBe(true);
    expect(out.values).toEqual(['Pearl']);
  });

  test('a false condition: nothing contributed; a strong mapping reports what to retract', () => {
    const condition = { script: { code: "fullName == 'Nobody'" } };
    for (const strength of ['weak', 'normal', 'strong'] as const) {
      const out = evaluateMapping(mapping(strength, { condition }), { vars: { user: jack() }, changed: undefined, targetValues: [] });
      expect(out).toMatchObject({ applies: false, values: [], conditionFalse: true, retract: strength === 'strong' ? ['Jack Sparrow'] : [] });
    }
    const holds = evaluateMapping(mapping('strong', { condition: { script: { code: "fullName == 'Jack Sparrow'" } } }), {
      vars: { user: jack() },
      changed: undefined,
      targetValues: [],
    });
    expect(holds).toMatchObject({ applies: true, values: ['Jack Sparrow'], conditionFalse: false });
  });

  test('two sources with the same variable name must be named apart', () => {
    expect(() =>
      compileMapping({ strength: 'normal', source: [{ path: '$user/name' }, { path: '$account/attributes/name' }] }, { context: { role: 'outbound mapping' } }),
    ).toThrow(/both named 'name'/);
    const m = compileMapping(
      { strength: 'normal', source: [{ path: '$user/name' }, { path: '$account/attributes/name', name: 'accountName' }], expression: { script: { code: 'name + accountName' } } },
      { context: {} },
    );
    expect(evaluateMapping(m, { vars: { user: jack(), account: { primaryIdentifier: '1', secondaryIdentifier: 'x', objectClass: 'c', attributes: { name: ['J'] } } }, changed: undefined, targetValues: [] }).values).toEqual(['jackJ']);
  });
});
