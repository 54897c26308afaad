import { objectTypeSchema, resourceSchema } from '../../../src/schema/config';
import {
  computeInbound,
  computeOutbound,
  correlationCondition,
  includesMatching,
  matchingRuleOf,
  normalizeValue,
  protectionOf,
  sameValuesMatching,
  userMatchesCondition,
  valuesMatch,
} from '../../../src/model';
import { userTargetDelta } from '../../../src/model/user-targets';
import { account, jack, ldapResource, makeShadow, makeUser } from './fixtures';

describe('matching rules', () => {
  it('default, polyStringOrig and polyStringStrict compare exactly', () => {
    for (const rule of ['default', 'polyStringOrig', 'polyStringStrict', undefined] as const) {
      expect(valuesMatch(rule, 'jack', 'jack')).toBe(true);
      expect(valuesMatch(rule, 'JACK', 'jack')).toBe(false);
      expect(valuesMatch(rule, 1, 1)).toBe(true);
    }
  });

  it('stringIgnoreCase: JACK and jack are one value, jack and jake are not', () => {
    expect(valuesMatch('stringIgnoreCase', 'JACK', 'jack')).toBe(true);
    expect(valuesMatch('stringIgnoreCase', 'jack', 'jake')).toBe(false);
    expect(normalizeValue('stringIgnoreCase', 'Jack Sparrow')).toBe('jack sparrow');
  });

  it('polyStringNorm ignores case, accents and spaces around and between words', () => {
    expect(valuesMatch('polyStringNorm', '  Élisabeth   Swann ', 'elisabeth swann')).toBe(true);
    expect(valuesMatch('polyStringNorm', 'Elisabeth Swann', 'Elizabeth Swann')).toBe(false);
  });

  it('distinguishedName: case, spaces around separators and the order of a multi-valued RDN do not matter', () => {
    expect(valuesMatch('distinguishedName', 'uid=JACK, ou=People,dc=Example, dc=com', 'UID=jack,ou=people,dc=example,dc=com')).toBe(true);
    expect(valuesMatch('distinguishedName', 'cn=a+sn=b,o=x', 'sn=B + cn=A, o=X')).toBe(true);
    expect(valuesMatch('distinguishedName', 'uid=jack,ou=people', 'uid=jack,ou=crew')).toBe(false);
    // An escaped comma is part of the value, not a separator.
    expect(valuesMatch('distinguishedName', 'cn=Sparrow\\, Jack,o=x', 'cn=sparrow\\,jack,o=x')).toBe(false);
    expect(valuesMatch('distinguishedName', 'cn=Sparrow\\, Jack,o=x', 'CN=sparrow\\, jack, O=X')).toBe(true);
    // Not a DN at all (a login name): compared ignoring case.
    expect(valuesMatch('distinguishedName', 'Jack', 'jack')).toBe(true);
  });

  it('uuid ignores case and braces', () => {
    expect(valuesMatch('uuid', '{0A6B1C2D-0000-4000-8000-00000000000F}', '0a6b1c2d-0000-4000-8000-00000000000f')).toBe(true);
    expect(valuesMatch('uuid', '0a6b1c2d-0000-4000-8000-00000000000f', '0a6b1c2d-0000-4000-8000-00000000000e')).toBe(false);
  });

  it('lists compare as sets under the rule', () => {
    expect(includesMatching('stringIgnoreCase', ['Crew', 'Deck'], 'deck')).toBe(true);
    expect(sameValuesMatching('stringIgnoreCase', ['Crew', 'Deck'], ['deck', 'CREW'])).toBe(true);
    expect(sameValuesMatching('stringIgnoreCase', ['Crew'], ['deck', 'CREW'])).toBe(false);
  });

  it('accepts midPoint\'s qualified names of rules in YAML, and names the rules it knows otherwise', () => {
    const type = (matchingRule: string) =>
      objectTypeSchema.safeParse({ objectClass: 'inetOrgPerson', attribute: [{ ref: 'ri:uid', matchingRule }] });
    expect(type('mr:stringIgnoreCase').data?.attribute[0]!.matchingRule).toBe('stringIgnoreCase');
    expect(type('http://prism.evolveum.com/xml/ns/public/matching-rule-3#distinguishedName').data?.attribute[0]!.matchingRule).toBe('distinguishedName');
    expect(type('caseless').error?.issues[0]!.message).toMatch(/expected a matching rule: default, .*stringIgnoreCase, distinguishedName, uuid/);
  });

  it('an attribute\'s rule is found by its name with or without prefix; icfs:name defaults to distinguishedName', () => {
    const type = objectTypeSchema.parse({ objectClass: 'inetOrgPerson', attribute: [{ ref: 'ri:uid', matchingRule: 'stringIgnoreCase' }, { ref: 'cn' }] });
    expect(matchingRuleOf(type, 'uid')).toBe('stringIgnoreCase');
    expect(matchingRuleOf(type, 'UID')).toBe('stringIgnoreCase');
    expect(matchingRuleOf(type, 'ri:cn')).toBe('default');
    expect(matchingRuleOf(type, 'icfs:name')).toBe('distinguishedName');
  });
});

/** The fixtures' LDAP resource with uid and cn compared ignoring case, title and telephoneNumber mapped both ways. */
const caseless = resourceSchema.parse({
  ...ldapResource,
  schemaHandling: {
    objectType: [
      {
        ...ldapResource.schemaHandling.objectType[0]!,
        attribute: [
          ...ldapResource.schemaHandling.objectType[0]!.attribute.filter((a) => a.ref !== 'ri:cn'),
          { ref: 'ri:cn', matchingRule: 'stringIgnoreCase', outbound: { source: { path: '$user/fullName' } }, inbound: { target: { path: '$user/fullName' } } },
          { ref: 'ri:uid', matchingRule: 'stringIgnoreCase', outbound: { strength: 'strong', source: { path: '$c:user/c:name' } } },
          { ref: 'ri:ou', multiValued: true, matchingRule: 'stringIgnoreCase', inbound: { target: { path: 'c:organizationalUnit' } } },
        ],
        protected: [{ name: 'uid=admin,ou=people,dc=example,dc=com' }, { filter: { equal: { path: 'attributes/ri:description', value: 'system account' } } }],
      },
    ],
  },
});
const caselessType = caseless.schemaHandling.objectType[0]!;

describe('comparisons under matching rules', () => {
  const jackShadow = makeShadow({ oid: 's-jack', resourceRef: caseless.oid!, secondaryIdentifier: 'uid=JACK,ou=people,dc=example,dc=com', ownerRef: 'oid-jack' });
  const jackAccount = account('uid=JACK, ou=People,dc=example,dc=com', { uid: ['JACK'], cn: ['JACK SPARROW'], givenName: ['Jack'], sn: ['Sparrow'], description: ['Created by IDM'] });

  const outboundAgainst = (current: typeof jackAccount) =>
    computeOutbound({ resource: caseless, objectType: caselessType, constructions: [], user: jack(), mode: 'existing', changed: undefined, shadow: jackShadow, current });

  it('outbound: an account whose uid, cn and name differ only in case needs no modify and no rename', () => {
    expect(outboundAgainst(jackAccount)).toEqual({ attributes: {}, deltas: [] });
  });

  it('outbound: a value that differs beyond case is replaced', () => {
    expect(outboundAgainst({ ...jackAccount, attributes: { ...jackAccount.attributes, uid: ['jake'] } }).deltas).toEqual([{ path: 'uid', replace: ['jack'] }]);
  });

  it('inbound: cn JACK SPARROW does not change fullName Jack Sparrow; ou sets organizationalUnit as a whole', () => {
    const user = jack({ organizationalUnit: ['Crew', 'Galley'] });
    const deltas = computeInbound({ objectType: caselessType, account: { ...jackAccount, attributes: { ...jackAccount.attributes, ou: ['CREW', 'Deck'] } }, user });
    expect(deltas).toEqual([{ path: 'organizationalUnit', add: ['Deck'], delete: ['Galley'] }]);
  });

  it('a multi-valued text property: a weak mapping that produces nothing leaves it alone', () => {
    const weakNothing = { strength: 'weak' as const, applies: true, values: [], conditionFalse: false, retract: [] };
    expect(userTargetDelta('organization', ['Acme'], [weakNothing])).toBeUndefined();
  });

  it('correlation: the condition takes the read attribute\'s rule (or the query\'s `matching`), and jack matches JACK', () => {
    const query = { equal: { path: '$user/c:name', expression: { path: '$account/attributes/ri:uid' } } };
    const condition = correlationCondition(query, jackAccount, { objectType: caselessType });
    expect(condition).toEqual({ equal: { field: 'name', values: ['JACK'], matchingRule: 'stringIgnoreCase' } });
    expect(userMatchesCondition(makeUser({ name: 'jack' }), condition)).toBe(true);
    expect(userMatchesCondition(makeUser({ name: 'jake' }), condition)).toBe(false);
    // Without a rule: exact, as before.
    expect(correlationCondition(query, jackAccount, { objectType: ldapResource.schemaHandling.objectType[0] })).toEqual({ equal: { field: 'name', values: ['JACK'] } });
    const explicit = correlationCondition({ equal: { ...query.equal, matching: 'polyStringNorm' as const } }, jackAccount);
    expect(explicit).toEqual({ equal: { field: 'name', values: ['JACK'], matchingRule: 'polyStringNorm' } });
  });
});

describe('protected accounts', () => {
  it('are recognised by name under the DN rule, or by an attribute value', () => {
    expect(protectionOf(caselessType, { secondaryIdentifier: 'UID=admin, ou=people,dc=example,dc=com' })).toBe('name uid=admin,ou=people,dc=example,dc=com');
    expect(protectionOf(caselessType, { secondaryIdentifier: 'uid=root,ou=people,dc=example,dc=com', attributes: { description: ['system account'] } })).toBe(
      'description = system account',
    );
    expect(protectionOf(caselessType, { secondaryIdentifier: 'uid=jack,ou=people,dc=example,dc=com', attributes: { description: ['Created by IDM'] } })).toBeNull();
    expect(protectionOf(ldapResource.schemaHandling.objectType[0], { secondaryIdentifier: 'uid=admin,ou=people,dc=example,dc=com' })).toBeNull();
  });

  it('need exactly one of name or filter', () => {
    const parsed = objectTypeSchema.safeParse({ objectClass: 'x', protected: [{ name: 'a', filter: { equal: { path: 'uid', value: 'a' } } }] });
    expect(parsed.error?.issues[0]!.message).toBe('a protected account needs exactly one of name or filter: { equal | endsWith: { path, value }, and | or: [...] }');
  });
});
