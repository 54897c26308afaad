import { compileExpression, ExpressionError, EXPRESSION_LIMITS, isTrue } from '../../../src/model/expressions';
import { account, jack } from './fixtures';

describe('expressions', () => {
  describe('the seeds\' scripts, verbatim', () => {
    test.each([
      ["'uid=' + name + ',ou=people,dc=example,dc=com'", ['name'], { name: ['jack'] }, 'uid=jack,ou=people,dc=example,dc=com'],
      ["'cn=' + name + ',o=Acme'", ['name'], { name: ['will'] }, 'cn=will,o=Acme'],
      ["givenName + ' ' + familyName", ['givenName', 'familyName'], { givenName: ['Will'], familyName: ['Turner'] }, 'Will Turner'],
    ])('%s', (code, sources, values, expected) => {
      const evaluate = compileExpression({ script: { code } }, { sources });
      expect(evaluate({ sources: values })).toEqual([expected]);
    });
  });

  test('fileTime gives a date and time as a Windows file time (100 ns since 1601, as AD\'s accountExpires), nothing for no date', () => {
    const evaluate = compileExpression({ script: { code: 'validTo|fileTime' } }, { sources: ['validTo'] });
    expect(evaluate({ sources: { validTo: ['1601-01-01T00:00:00Z'] } })).toEqual(['0']);
    expect(evaluate({ sources: { validTo: ['2099-06-30T18:00:00Z'] } })).toEqual([String((4_086_525_600n + 11_644_473_600n) * 10_000_000n)]);
    expect(evaluate({ sources: { validTo: ['2027-01-01T00:00:00.001+01:00'] } })).toEqual([String((BigInt(Date.parse('2027-01-01T00:00:00.001+01:00')) + 11_644_473_600_000n) * 10_000n)]);
    expect(evaluate({ sources: { validTo: ['not a date'] } })).toEqual([]);
  });

  test('a script with a missing source yields no value (not "Will undefined")', () => {
    const evaluate = compileExpression({ script: { code: "givenName + ' ' + familyName" } }, { sources: ['givenName', 'familyName'] });
    expect(evaluate({ sources: { givenName: ['Will'], familyName: [] } })).toEqual([]);
    expect(evaluate({ sources: { givenName: ['Will'] } })).toEqual([]);
  });

  test('with includeNullInputs a script runs when a source has no value, that source null (midPoint\'s default)', () => {
    const never = '9223372036854775807';
    const evaluate = compileExpression({ script: { code: `validTo ? (validTo|fileTime) : '${never}'`, includeNullInputs: true } }, { sources: ['validTo'] });
    expect(evaluate({ sources: { validTo: [] } })).toEqual([never]);
    expect(evaluate({ sources: {} })).toEqual([never]);
    expect(evaluate({ sources: { validTo: ['1601-01-01T00:00:00Z'] } })).toEqual(['0']);
    const withNull = compileExpression({ script: { code: "familyName == null ? 'none' : familyName", includeNullInputs: true } }, { sources: ['familyName'] });
    expect(withNull({ sources: {} })).toEqual(['none']);
  });

  test('a script sees user, account, iteration and iterationToken; a multi-valued source as a list', () => {
    const evaluate = compileExpression(
      { script: { code: "user.name + '/' + account.attributes.uid + '/' + iteration + iterationToken + '/' + (mail|join(';'))" } },
      { sources: ['mail'] },
    );
    const result = evaluate({
      user: jack(),
      account: account('uid=jack', { uid: ['jack'] }),
      iteration: 2,
      iterationToken: '2',
      sources: { mail: ['a@x', 'b@x'] },
    });
    expect(result).toEqual(['jack/jack/22/a@x;b@x']);
  });

  test('scripts do not see credentials', () => {
    const evaluate = compileExpression({ script: { code: 'user.credentials' } });
    const user = jack({ credentials: { password: { encrypted: 'enc:v1:secret' } } });
    expect(evaluate({ user })).toEqual([]);
  });

  test.each([
    ['path of a user property', { path: '$user/fullName' }, ['Jack Sparrow']],
    ['bare path of a user property', { path: 'givenName' }, ['Jack']],
    ['path of an account attribute', { path: '$account/attributes/ri:cn' }, ['Captain']],
    ['path of icfs:name', { path: '$account/attributes/icfs:name' }, ['uid=jack,ou=people']],
    ['literal value', { value: 'Created by IDM' }, ['Created by IDM']],
    ['literal list', { value: ['a', 'b'] }, ['a', 'b']],
    ['literal null', { value: null }, []],
    ['script returning a list', { script: { code: "['x', 'y']" } }, ['x', 'y']],
    ['script returning null', { script: { code: 'null' } }, []],
    ['script with a transform', { script: { code: 'user.name|upper' } }, ['JACK']],
  ])('%s', (_name, expression, expected) => {
    const evaluate = compileExpression(expression as never);
    expect(evaluate({ user: jack(), account: account('uid=jack,ou=people', { cn: ['Captain'] }) })).toEqual(expected);
  });

  test('without an expression the first source passes as is', () => {
    const evaluate = compileExpression(undefined, { sources: ['fullName'] });
    expect(evaluate({ sources: { fullName: ['Jack Sparrow'] } })).toEqual(['Jack Sparrow']);
    expect(() => compileExpression(undefined, { context: { role: 'outbound mapping', attribute: 'cn' } })).toThrow(/needs a source/);
  });

  describe('sandbox', () => {
    const escapes = [
      'constructor.constructor',
      "constructor.constructor('return process')()",
      'name.constructor',
      "name.constructor.constructor('return process')()",
      "name['constructor']",
      "name['const' + 'ructor']",
      "user['__pro' + 'to__']",
      "name['__pro' + 'to__']",
      '__proto__',
      'user.__proto__',
      'process',
      'process.env',
      "require('child_process')",
      'this',
      'global',
      'globalThis',
      "name|eval",
      "Function('return 1')",
    ];
    test.each(escapes)('%s fails with an ExpressionError', (code) => {
      const attempt = () => compileExpression({ script: { code } }, { sources: ['name'], context: { resource: 'AD', attribute: 'cn' } })({ sources: { name: ['jack'] }, user: jack() });
      expect(attempt).toThrow(ExpressionError);
    });

    test('an error names the context and the code', () => {
      try {
        compileExpression({ script: { code: 'process.env' } }, { context: { role: 'outbound mapping', mapping: 'dn', attribute: 'icfs:name', resource: 'MyLittleAD' } });
        throw new Error('expected an ExpressionError');
      } catch (e) {
        expect(e).toBeInstanceOf(ExpressionError);
        expect((e as Error).message).toBe(
          "outbound mapping 'dn' of attribute icfs:name on resource MyLittleAD: unknown variable 'process' (available: user, focus, account, shadow, iteration, iterationToken, null) (code: process.env)",
        );
      }
    });

    test('code length, tree size and result size are bounded', () => {
      const long = `'${'a'.repeat(EXPRESSION_LIMITS.maxCodeLength)}'`;
      expect(() => compileExpression({ script: { code: long } })).toThrow(/longer than/);
      const deep = Array.from({ length: 600 }, () => '1').join(' + ');
      expect(() => compileExpression({ script: { code: deep } })).toThrow(/too complex/);
      const bigInput = 'x'.repeat(300_000);
      const grow = compileExpression({ script: { code: 's + s + s + s' } }, { sources: ['s'] });
      expect(() => grow({ sources: { s: [bigInput] } })).toThrow(/larger than/);
      const many = compileExpression({ script: { code: 'list' } }, { sources: ['list'] });
      expect(() => many({ sources: { list: Array.from({ length: EXPRESSION_LIMITS.maxResultValues + 1 }, (_, i) => i) } })).toThrow(/more than/);
    });

    test('a script that does not parse is an ExpressionError', () => {
      expect(() => compileExpression({ script: { code: "'unterminated" } })).toThrow(ExpressionError);
    });
  });

  test.each([
    [[true], true],
    [['yes'], true],
    [[false], false],
    [[], false],
    [[true, false], false],
  ])('isTrue(%j) = %s', (values, expected) => {
    expect(isTrue(values)).toBe(expected);
  });
});
