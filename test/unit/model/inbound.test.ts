import { computeInbound } from '../../../src/model/inbound';
import { objectTypeSchema } from '../../../src/schema/config';
import { account, jack, ldapObjectType } from './fixtures';

const jackLdap = (cn: string) =>
  account('uid=jack,ou=people,dc=example,dc=com', { uid: ['jack'], cn: [cn], givenName: ['Jack'], sn: ['Sparrow'] }, '12345678-d34d-b33f-f00d-999888777666');

describe('inbound', () => {
  test('the seeds\' modification scenario: LDAP cn changed -> fullName replace', () => {
    const deltas = computeInbound({ objectType: ldapObjectType, account: jackLdap('cpt. Jack Sparrow'), user: jack(), changedAttributes: ['cn'] });
    expect(deltas).toEqual([{ path: 'fullName', replace: ['cpt. Jack Sparrow'] }]);
  });

  test('normal mappings of unchanged attributes do nothing when the changed attributes are known', () => {
    const deltas = computeInbound({
      objectType: ldapObjectType,
      account: account('uid=jack', { cn: ['cpt. Jack Sparrow'], givenName: ['Jacky'] }),
      user: jack(),
      changedAttributes: ['ri:cn'],
    });
    expect(deltas).toEqual([{ path: 'fullName', replace: ['cpt. Jack Sparrow'] }]);
  });

  test('unknown changes (reconciliation): every normal mapping applies; equal values give no delta', () => {
    const deltas = computeInbound({ objectType: ldapObjectType, account: jackLdap('Jack Sparrow'), user: jack() });
    expect(deltas).toEqual([]);
  });

  test('a new user from an account gets every inbound value', () => {
    const will = account('uid=will,ou=people,dc=example,dc=com', { uid: ['will'], cn: ['Will Turner'], givenName: ['Will'], sn: ['Turner'] });
    const deltas = computeInbound({ objectType: ldapObjectType, account: will, user: null });
    expect(deltas).toEqual([
      { path: 'fullName', replace: ['Will Turner'] },
      { path: 'givenName', replace: ['Will'] },
      { path: 'familyName', replace: ['Turner'] },
    ]);
  });

  test('an attribute removed on the resource clears the property (normal strength)', () => {
    const deltas = computeInbound({ objectType: ldapObjectType, account: account('uid=jack', { cn: ['Jack Sparrow'] }), user: jack(), changedAttributes: ['sn'] });
    expect(deltas).toEqual([{ path: 'familyName', replace: [] }]);
  });

  const typeWith = (strength: string, extra: Record<string, unknown> = {}) =>
    objectTypeSchema.parse({
      objectClass: 'inetOrgPerson',
      attribute: [{ ref: 'ri:title', inbound: { strength, target: { path: '$user/extension/title' }, ...extra } }],
    });

  test.each<[string, string | undefined, string[] | undefined, unknown]>([
    ['weak', undefined, ['title'], [{ path: 'extension/title', replace: ['Captain'] }]],
    ['weak', 'Pirate', ['title'], []],
    ['normal', 'Pirate', ['title'], [{ path: 'extension/title', replace: ['Captain'] }]],
    ['normal', 'Pirate', ['cn'], []],
    ['strong', 'Pirate', ['cn'], [{ path: 'extension/title', replace: ['Captain'] }]],
    ['strong', 'Captain', [], []],
  ])('%s inbound, user title %j, changed %j', (strength, current, changed, expected) => {
    const user = jack(current === undefined ? {} : { extension: { title: current } });
    const deltas = computeInbound({ objectType: typeWith(strength), account: account('uid=jack', { title: ['Captain'] }), user, changedAttributes: changed });
    expect(deltas).toEqual(expected);
  });

  test('inbound script sees the attribute by its name; condition filters', () => {
    const type = objectTypeSchema.parse({
      objectClass: 'inetOrgPerson',
      attribute: [
        {
          ref: 'ri:mail',
          inbound: {
            expression: { script: { code: 'mail|lower' } },
            condition: { script: { code: "mail != 'nobody@x'" } },
            target: { path: 'emailAddress' },
          },
        },
      ],
    });
    expect(computeInbound({ objectType: type, account: account('x', { mail: ['Jack@Pearl'] }), user: jack() })).toEqual([{ path: 'emailAddress', replace: ['jack@pearl'] }]);
    expect(computeInbound({ objectType: type, account: account('x', { mail: ['nobody@x'] }), user: jack() })).toEqual([]);
  });
});
