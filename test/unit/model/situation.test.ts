import { confirmCandidates, correlationCondition, determineSituation, type CorrelationCondition } from '../../../src/model/situation';
import { ExpressionError } from '../../../src/model/expressions';
import type { CorrelationQuery } from '../../../src/schema/config';
import { account, jack, ldapResource, makeUser } from './fixtures';

const will = account('uid=will,ou=people,dc=example,dc=com', { uid: ['will'], mail: ['will@pearl', 'wt@pearl'], employeeNumber: ['42'] });

describe('correlation', () => {
  test("the seeds' correlation: name equals $account/attributes/ri:uid", () => {
    expect(correlationCondition(ldapResource.synchronization[0]!.correlation!, will)).toEqual({ equal: { field: 'name', values: ['will'] } });
  });

  test.each<[string, CorrelationQuery, CorrelationCondition]>([
    ['several values', { equal: { path: 'emailAddress', expression: { path: '$account/attributes/mail' } } }, { equal: { field: 'emailAddress', values: ['will@pearl', 'wt@pearl'] } }],
    ['no value -> no values (matches nobody)', { equal: { path: 'name', expression: { path: '$account/attributes/missing' } } }, { equal: { field: 'name', values: [] } }],
    ['extension path -> dotted field', { equal: { path: 'extension/employeeNumber', expression: { path: '$account/attributes/employeeNumber' } } }, { equal: { field: 'extension.employeeNumber', values: ['42'] } }],
    ['$user path', { equal: { path: '$user/name', expression: { script: { code: "account.attributes.uid + ''" } } } }, { equal: { field: 'name', values: ['will'] } }],
    [
      'and / or',
      { and: [{ equal: { path: 'name', expression: { path: '$account/attributes/uid' } } }, { or: [{ equal: { path: 'givenName', expression: { value: 'Will' } } }] }] },
      { and: [{ equal: { field: 'name', values: ['will'] } }, { or: [{ equal: { field: 'givenName', values: ['Will'] } }] }] },
    ],
  ])('%s', (_name, query, expected) => {
    expect(correlationCondition(query, will)).toEqual(expected);
  });

  test('a correlation path that is not a user property is an error', () => {
    expect(() => correlationCondition({ equal: { path: '$account/attributes/uid', expression: { value: 'x' } } }, will, { resourceName: 'LDAP' })).toThrow(ExpressionError);
  });

  test('confirmation keeps the candidates the expression accepts', () => {
    const candidates = [makeUser({ name: 'will', emailAddress: 'will@pearl' }), makeUser({ name: 'will2', emailAddress: 'other@x' })];
    const confirmed = confirmCandidates({ script: { code: "user.emailAddress in account.attributes.mail" } }, will, candidates);
    expect(confirmed.map((u) => u.name)).toEqual(['will']);
    expect(confirmCandidates(undefined, will, candidates)).toHaveLength(2);
  });
});

describe('situation', () => {
  test.each([
    [{ ownerRef: 'u1', exists: false, candidates: [] }, 'deleted'],
    [{ ownerRef: null, exists: false, candidates: [] }, 'deleted'],
    [{ ownerRef: 'u1', exists: true, candidates: [] }, 'linked'],
    [{ ownerRef: null, exists: true, candidates: [jack()] }, 'unlinked'],
    [{ ownerRef: null, exists: true, candidates: [] }, 'unmatched'],
    [{ ownerRef: null, exists: true, candidates: [jack(), makeUser({ name: 'jack2' })] }, 'disputed'],
  ])('%j -> %s', (input, situation) => {
    expect(determineSituation(input)).toBe(situation);
  });
});
