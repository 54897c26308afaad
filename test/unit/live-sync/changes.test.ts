import { csnAt, csnTime, nextWindowWidth, recordsToChanges } from '../../../src/connectors/ldap/ldap-changelog';
import { asResourceChange, coalesce } from '../../../src/sync/live-sync/changelog-poll';

const record = (csn: string, reqType: string, uid: string, authz: string, extra: Record<string, unknown> = {}) => ({
  dn: `reqStart=${csn},cn=accesslog`,
  entryCSN: `20261201000000.0000${csn}Z#000000#000#000000`,
  reqType,
  reqDN: `uid=${uid},ou=people,dc=example,dc=com`,
  reqEntryUUID: `uuid-${uid}`,
  reqMod: ['cn:= Jack'],
  reqAuthzID: authz,
  ...extra,
});

test("Tally's own writes (its bind DN, any case and spacing) are left out of the changes", () => {
  const changes = recordsToChanges(
    [record('01', 'modify', 'jack', 'dn:cn=admin,dc=example,dc=com'), record('02', 'modify', 'jack', 'dn:CN=Tally, DC=example,dc=com'), record('03', 'add', 'will', 'dn:cn=admin,dc=example,dc=com')],
    { baseContext: 'ou=people,dc=example,dc=com', entryUuidIsPrimary: true, ignoreModifiers: ['cn=tally,dc=example,dc=com'] },
  );
  expect(changes.map((c) => [c.changeType, c.primaryIdentifier])).toEqual([
    ['modify', 'uuid-jack'],
    ['add', 'uuid-will'],
  ]);
});

test('changes are grouped by object in their order; one change per object keeps the latest name and type', () => {
  const groups = coalesce([
    { changeType: 'add', primaryIdentifier: 'a', secondaryIdentifier: 'uid=a', token: '1' },
    { changeType: 'modify', primaryIdentifier: 'b', secondaryIdentifier: 'uid=b', attributeDeltas: [{ path: 'cn', replace: ['B'] }], token: '2' },
    { changeType: 'modify', primaryIdentifier: 'a', secondaryIdentifier: 'uid=a', newSecondaryIdentifier: 'uid=a2', attributeDeltas: [], token: '3' },
    { changeType: 'modify', primaryIdentifier: 'b', secondaryIdentifier: 'uid=b', attributeDeltas: [{ path: 'sn', replace: ['S'] }], token: '4' },
  ]);
  expect(groups.map((g) => g.map((c) => c.token))).toEqual([['1', '3'], ['2', '4']]);
  // An add among them: what changed is unknown, so every inbound mapping applies.
  expect(asResourceChange('r', groups[0])).toEqual({ resourceRef: 'r', channel: 'live-sync', changeType: 'modify', primaryIdentifier: 'a', secondaryIdentifier: 'uid=a2', token: '3' });
  expect(asResourceChange('r', groups[1]).attributeDeltas).toEqual([
    { path: 'cn', replace: ['B'] },
    { path: 'sn', replace: ['S'] },
  ]);
});

test("a CSN's time, and the smallest CSN of a millisecond, order as the CSNs do (the changelog's windows)", () => {
  const csn = '20261204224500.123456Z#000003#001#000000';
  expect(csnTime(csn)).toBe(Date.UTC(2026, 11, 4, 22, 45, 0, 123));
  expect(csnTime('20261204224500Z#000000#000#000000')).toBe(Date.UTC(2026, 11, 4, 22, 45, 0));
  expect(csnAt(csnTime(csn))).toBe('20261204224500.123000Z#000000#000#000000');
  expect(csnAt(csnTime(csn)) < csn).toBe(true);
  expect(csnAt(csnTime(csn) + 1) > csn).toBe(true);
  expect(csnAt(Date.UTC(2027, 0, 1))).toBe('20270101000000.000000Z#000000#000#000000');
  expect(csnAt(Number.MAX_SAFE_INTEGER)).toBe('99991231235959.999000Z#000000#000#000000');
  expect(() => csnTime('yesterday')).toThrow(/not a CSN: yesterday/);
});

test('the next window of a changelog: the width that held a page, else by density and at most twice as wide', () => {
  expect(nextWindowWidth(1000, 400, 50, () => 120)).toBe(120);
  expect(nextWindowWidth(1000, 25, 50, () => 0)).toBe(2000);
  expect(nextWindowWidth(1000, 40, 50, () => 0)).toBe(1250);
  expect(nextWindowWidth(1000, 0, 50, () => 0)).toBe(2000);
});
