import { describeIssues } from '../../../src/config/format-issues';
import { configObjectSchema, userConfigSchema } from '../../../src/schema/config';

/** The API validates JSON bodies with the same schemas and reports problems the same way, without lines. */
describe('describeIssues on JSON input', () => {
  it('reports paths as written, expectations and findings, and hides secret values', () => {
    const input = {
      kind: 'Resource',
      name: 'r',
      connector: { type: 'postgres', table: 'accounts', password: 'pw-in-clear', port: '5433' },
      schemaHandling: { objectType: { objectClass: 'accounts', attribute: [{ ref: 'cn', outbound: { strength: 'hard' } }] } },
    };
    const result = configObjectSchema.safeParse(input);
    if (result.success) throw new Error('expected the input to be rejected');
    const problems = describeIssues(result.error.issues, input, configObjectSchema);
    expect(problems.map((p) => `${p.field}: ${p.message}`)).toEqual([
      'connector.port: expected a number, found "5433"',
      'connector.password: expected a secret reference { env: VARIABLE } or { file: PATH }; secrets are never written inline; found a string (value not shown)',
      'schemaHandling.objectType.attribute[0].outbound.strength: expected one of "weak", "normal", "strong", found "hard"',
    ]);
    expect(problems[2].path).toEqual(['schemaHandling', 'objectType', 'attribute', 0, 'outbound', 'strength']);
    expect(JSON.stringify(problems)).not.toContain('pw-in-clear');
  });

  it('works without a schema (no allowed-key hints) and on empty strings', () => {
    const input = { kind: 'User', name: '', nickname: 'x' };
    const result = userConfigSchema.safeParse(input);
    if (result.success) throw new Error('expected the input to be rejected');
    expect(describeIssues(result.error.issues, input).map((p) => `${p.field}: ${p.message}`)).toEqual([
      'name: expected at least 1 character(s), found ""',
      'nickname: unknown key "nickname"',
    ]);
  });
});
