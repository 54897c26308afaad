import { applyIterationToken, canIterate, iterationToken, maxIterations } from '../../../src/model/iteration';
import { objectTypeSchema } from '../../../src/schema/config';

describe('iteration', () => {
  test.each([
    [0, ''],
    [1, '1'],
    [2, '2'],
  ])('default token for iteration %i is %j', (iteration, token) => {
    expect(iterationToken(iteration)).toBe(token);
  });

  test('token expression and maxIterations from the object type', () => {
    const type = objectTypeSchema.parse({ objectClass: 'x', iteration: { maxIterations: 2, tokenExpression: { script: { code: "iteration == 0 ? '' : '.' + iteration" } } } });
    expect([0, 1, 2].map((i) => iterationToken(i, type.iteration))).toEqual(['', '.1', '.2']);
    expect(maxIterations(type.iteration)).toBe(2);
    expect([1, 2].map((i) => canIterate(i, type.iteration))).toEqual([true, false]);
    expect(maxIterations(undefined)).toBe(5);
  });

  test.each([
    ['jack', '1', 'jack1'],
    ['jack', '', 'jack'],
    ['uid=jack,ou=people,dc=example,dc=com', '2', 'uid=jack2,ou=people,dc=example,dc=com'],
    ['cn=Jack\\, Sparrow,o=Acme', '1', 'cn=Jack\\, Sparrow1,o=Acme'],
    ['cn=jack', '3', 'cn=jack3'],
  ])('applyIterationToken(%j, %j) = %j', (name, token, expected) => {
    expect(applyIterationToken(name, token)).toBe(expected);
  });

  test('a negative iteration is an error', () => {
    expect(() => iterationToken(-1)).toThrow(/non-negative/);
  });
});
