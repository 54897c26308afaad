/**
 * The Active Directory connector against a private Samba AD DC (started here, from the machine's domain
 * template, so the contract can stop and restart it), over LDAPS with the server's own CA. The contract's
 * changelog checks write through the connector: it shows its own writes as changes (ignoreOwnWrites: false).
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change, Client, type SearchOptions } from 'ldapts';
import { createConnector } from '../../../src/connectors';
import { AdClient } from '../../../src/connectors/ad/ad-client';
import type { Connector } from '../../../src/connectors/connector-types';
import type { SambaServer } from '../../../src/dev/servers';
import { runCommand } from '../../../src/dev/servers/process';
import { adConnectorSchema, type AdConnectorConfig } from '../../../src/schema/config';
import { addWhileStopped, bindsToSamba, SAMBA_ADMIN_PASSWORD, startTestSamba, withSambaAdmin } from '../../support/samba';
import { countSearchedEntries, readChangesToEnd } from '../../support/changelog-reading';
import { describeConnectorContract, expectKind, expectNoSecret, type ConnectorFixture } from './connector-contract';

const WRONG_PASSWORD = `Wrong-${randomBytes(9).toString('hex')}!`;
process.env.TALLY_TEST_AD_PASSWORD = SAMBA_ADMIN_PASSWORD;
process.env.TALLY_TEST_AD_WRONG_PASSWORD = WRONG_PASSWORD;
const USER_PASSWORD = `Pirate-${randomBytes(6).toString('hex')}-1!`;
const TOO_SHORT = 'Ab1!';

let samba: Awaited<ReturnType<typeof startTestSamba>>;
let server: SambaServer;
let config: AdConnectorConfig;
let ad: Connector;
/** The new domain's highestCommittedUSN: where its change tracking ends before any change. */
let initialUsn: string;
const opened: Connector[] = [];

function connect(overrides: Partial<AdConnectorConfig> = {}): Connector {
  const c = createConnector({ ...config, ...overrides });
  opened.push(c);
  return c;
}

const dnOf = (name: string) => `CN=${name},${server.peopleDn}`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const replace = (type: string, value: string) => new Change({ operation: 'replace', modification: new Attribute({ type, values: [value] }) });

/** userAccountControl as the server holds it. */
const uacOf = (dn: string) =>
  withSambaAdmin(server, async (c) => Number((await c.search(dn, { scope: 'base', attributes: ['userAccountControl'] })).searchEntries[0].userAccountControl));

const canBind = (dn: string, password: string) => bindsToSamba(server, dn, password);

/** 2,000 accounts under OU=fleet (out of the accounts' base) and the group CN=fleet listing them all. */
const fleetMembers = () => Array.from({ length: 2000 }, (_, i) => `CN=sailor${i},OU=fleet,${server.baseDn}`);
const fleetDn = () => `CN=fleet,${server.groupsDn}`;

beforeAll(async () => {
  samba = await startTestSamba();
  server = samba.server;
  const sailors = fleetMembers().map((dn, i) => `dn: ${dn}\nobjectClass: user\nsAMAccountName: sailor${i}\n`);
  const group = `dn: ${fleetDn()}\nobjectClass: group\nsAMAccountName: fleet\n${fleetMembers().map((m) => `member: ${m}\n`).join('')}`;
  await addWhileStopped(server, [`dn: OU=fleet,${server.baseDn}\nobjectClass: organizationalUnit\n`, ...sailors, group].join('\n'));
  config = adConnectorSchema.parse({
    type: 'ad',
    url: server.ldapsUrl,
    bindDn: server.adminDn,
    bindPassword: { env: 'TALLY_TEST_AD_PASSWORD' },
    baseContext: server.peopleDn,
    caFile: server.caFile,
    tlsServerName: server.tlsServerName,
    timeout: '5s',
    ignoreOwnWrites: false,
  });
  ad = connect();
  initialUsn = await highestCommittedUsn();
}, 240_000);

const highestCommittedUsn = () =>
  withSambaAdmin(server, async (c) => String((await c.search('', { scope: 'base', attributes: ['highestCommittedUSN'] })).searchEntries[0].highestCommittedUSN));

afterAll(async () => {
  for (const c of opened) await c.close();
  await samba?.close();
});

const fixture = (): ConnectorFixture => ({
  connector: ad,
  connect: () => connect(),
  initialToken: initialUsn,
  schema: { objectClass: 'user', attributes: ['cn', 'sn', 'givenName', 'sAMAccountName', 'userPrincipalName', 'userAccountControl', 'unicodePwd', 'accountExpires'], complete: false },
  nameOf: dnOf,
  account: {
    attributes: {
      sAMAccountName: ['jack'],
      userPrincipalName: ['jack@tally.test'],
      givenName: ['Jack'],
      sn: ['Sparrow'],
      displayName: ['Jack Sparrow'],
      otherTelephone: ['a', 'b'],
      unicodePwd: [USER_PASSWORD],
      __ENABLE__: ['TRUE'],
    },
    // AD's bookkeeping (whenCreated, uSNChanged, objectSid, pwdLastSet ...) is left out; activation is __ENABLE__
    stored: {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      cn: ['jack'],
      sAMAccountName: ['jack'],
      userPrincipalName: ['jack@tally.test'],
      givenName: ['Jack'],
      sn: ['Sparrow'],
      displayName: ['Jack Sparrow'],
      otherTelephone: expect.arrayContaining(['a', 'b']),
      userAccountControl: ['512'],
      __ENABLE__: ['TRUE'],
      accountExpires: expect.any(Array),
    },
    primaryIdentifier: GUID,
    hidden: ['unicodePwd', 'objectGUID'],
    some: { names: ['sAMAccountName'], attributes: { sAMAccountName: ['jack'] } },
  },
  minimalAttributes: (name) => ({ sAMAccountName: [name] }),
  multiValued: 'otherTelephone',
  valuesInOrder: false,
  textAttribute: 'displayName',
  namingAttribute: 'cn',
  unknownPrimaryIdentifier: '00000000-0000-0000-0000-000000000001',
  deletesAreChanges: true,
  violations: {
    // an undefined attribute, two values of a single-valued one, a password AD's policy refuses
    create: [
      ['bad1', { sAMAccountName: ['bad1'], noSuchAttribute: ['z'] }],
      ['bad2', { sAMAccountName: ['bad2'], displayName: ['x', 'y'] }],
      ['bad3', { sAMAccountName: ['bad3'], unicodePwd: [TOO_SHORT] }],
    ],
    modify: [[{ path: 'displayName', replace: ['x', 'y'] }], [{ path: 'unicodePwd', replace: [TOO_SHORT] }]],
  },
  alreadyExistsCode: 68,
  credentials: {
    wrong: () => connect({ bindPassword: { env: 'TALLY_TEST_AD_WRONG_PASSWORD' } }),
    wrongCode: 49,
    unset: () => connect({ bindPassword: { env: 'TALLY_TEST_AD_UNSET_VARIABLE' } }),
    unsetVariable: 'TALLY_TEST_AD_UNSET_VARIABLE',
  },
  secrets: [SAMBA_ADMIN_PASSWORD, WRONG_PASSWORD, USER_PASSWORD],
  manyAtOnce: { get: true, modify: false },
  countObjects: () =>
    withSambaAdmin(server, async (c) => {
      const { searchEntries } = await c.search(server.peopleDn, { scope: 'one', filter: '(&(objectClass=user)(objectCategory=person))', attributes: ['1.1'] });
      return searchEntries.length;
    }),
  stopResource: () => server.stop(),
  restartResource: () => server.restart(),
});

const contract = describeConnectorContract('AD connector', fixture, {
  afterGet() {
    it('gives objectGUID as the usual GUID string: AD finds the account by it', async () => {
      // ldapts can't send AD's <GUID=...> names; ldapsearch can
      const found = await runCommand('ldapsearch', ['-x', '-LLL', '-H', server.url, '-D', server.adminDn, '-w', SAMBA_ADMIN_PASSWORD, '-b', `<GUID=${contract.accountId}>`, '-s', 'base', 'dn']);
      expect(found.trim()).toBe(`dn: ${dnOf('jack')}`);
    });

    it('writes the password as unicodePwd over LDAPS: the user can bind with it, and with a new one after a change', async () => {
      expect(await canBind(dnOf('jack'), USER_PASSWORD)).toBe(true);
      const changed = `${USER_PASSWORD}x`;
      await ad.modify(contract.accountId, [{ path: 'unicodePwd', replace: [changed] }]);
      expect(await canBind(dnOf('jack'), changed)).toBe(true);
      expect(await canBind(dnOf('jack'), `${changed}-not-it`)).toBe(false);
    });

    it('disables and enables by the ACCOUNTDISABLE bit alone, keeping the other bits', async () => {
      // DONT_EXPIRE_PASSWORD, set by an administrator
      await withSambaAdmin(server, (c) => c.modify(dnOf('jack'), replace('userAccountControl', '66048')));
      const disabled = await ad.modify(contract.accountId, [{ path: '__ENABLE__', replace: ['FALSE'] }]);
      expect(disabled.attributes.__ENABLE__).toEqual(['FALSE']);
      expect(await uacOf(dnOf('jack'))).toBe(0x10000 | 0x200 | 0x2);
      expect(await canBind(dnOf('jack'), `${USER_PASSWORD}x`)).toBe(false);
      const enabled = await ad.modify(contract.accountId, [{ path: '__ENABLE__', replace: ['TRUE'] }]);
      expect(enabled.attributes.__ENABLE__).toEqual(['TRUE']);
      expect(await uacOf(dnOf('jack'))).toBe(0x10000 | 0x200);
      expect(await canBind(dnOf('jack'), `${USER_PASSWORD}x`)).toBe(true);
    });

    it('refuses to send a password over plain LDAP unless the resource allows it, and creates nothing then', async () => {
      const plain = connect({ url: server.url });
      const e = await expectKind(plain.create(dnOf('plain'), { sAMAccountName: ['plain'], unicodePwd: [USER_PASSWORD] }), 'configuration');
      expect(e.message).toMatch(/LDAPS/);
      expectNoSecret(e, [USER_PASSWORD]);
      await expectKind(ad.get({ secondaryIdentifier: dnOf('plain') }), 'not-found');

      const allowed = connect({ url: server.url, allowPlainPasswords: true });
      const created = await allowed.create(dnOf('plain'), { sAMAccountName: ['plain'], unicodePwd: [USER_PASSWORD], __ENABLE__: ['TRUE'] });
      expect(await canBind(dnOf('plain'), USER_PASSWORD)).toBe(true);
      await allowed.delete(created.primaryIdentifier);
    });

    it("keeps AD's own message when it refuses a password", async () => {
      const e = await expectKind(ad.modify(contract.accountId, [{ path: 'unicodePwd', replace: [TOO_SHORT] }]), 'schema-violation');
      expect(e.nativeCode).toBe(19);
      expect(e.message).toMatch(/password/i);
      expectNoSecret(e, [TOO_SHORT]);
    });
  },
});

describe('AD connector: changes made on the directory', () => {
  it('reads a change made by an administrator as a modify of the account', async () => {
    const user = await ad.get({ secondaryIdentifier: dnOf('user03') });
    const token = await ad.latestToken();
    await withSambaAdmin(server, (c) => c.modify(dnOf('user03'), replace('displayName', 'changed on AD')));
    const { changes } = await ad.changesSince(token);
    expect(changes.map((ch) => [ch.changeType, ch.primaryIdentifier, ch.secondaryIdentifier])).toEqual([['modify', user.primaryIdentifier, dnOf('user03')]]);
  });

  it("passes over Tally's own writes (the USNs each gave), and reads an administrator's change made after one, or just before one", async () => {
    const tally = connect({ ignoreOwnWrites: true });
    const token = await tally.latestToken();
    const created = await tally.create(dnOf('own1'), { sAMAccountName: ['own1'], displayName: ['by Tally'], __ENABLE__: ['TRUE'] });
    await tally.modify(created.primaryIdentifier, [{ path: 'displayName', replace: ['by Tally again'] }, { path: '__ENABLE__', replace: ['FALSE'] }]);
    await tally.modify(created.primaryIdentifier, [{ path: '__NAME__', replace: [dnOf('own1-renamed')] }]);
    const temp = await tally.create(dnOf('own2'), { sAMAccountName: ['own2'] });
    await tally.delete(temp.primaryIdentifier);
    const own = await tally.changesSince(token);
    expect(own.changes).toEqual([]);
    // The position passed them: they are not read again.
    expect(Number(own.token)).toBeGreaterThan(Number(token));

    await withSambaAdmin(server, (c) => c.modify(dnOf('own1-renamed'), replace('displayName', 'by an administrator')));
    const theirs = await tally.changesSince(own.token);
    expect(theirs.changes.map((ch) => [ch.changeType, ch.primaryIdentifier, ch.secondaryIdentifier])).toEqual([['modify', created.primaryIdentifier, dnOf('own1-renamed')]]);

    // Someone's change just before Tally's next write to the account is still read (its attribute's USN is not Tally's).
    await withSambaAdmin(server, (c) => c.modify(dnOf('own1-renamed'), replace('description', 'by an administrator, before Tally')));
    await tally.modify(created.primaryIdentifier, [{ path: 'displayName', replace: ['by Tally, after'] }]);
    const before = await tally.changesSince(theirs.token);
    expect(before.changes.map((ch) => [ch.changeType, ch.primaryIdentifier])).toEqual([['modify', created.primaryIdentifier]]);
    await tally.modify(created.primaryIdentifier, [{ path: 'displayName', replace: ['by Tally alone'] }]);
    expect((await tally.changesSince(before.token)).changes).toEqual([]);
    // Another connector (another worker) doesn't know them: they come back as changes.
    expect((await ad.changesSince(token)).changes.map((ch) => ch.changeType).sort()).toEqual(['add', 'delete']);
  });

  it("gives the domain controller's highestCommittedUSN as the latest token, whatever was written where", async () => {
    await withSambaAdmin(server, (c) => c.add(`CN=elsewhere,${server.groupsDn}`, { objectClass: 'group', sAMAccountName: 'elsewhere' }));
    const latest = await ad.latestToken();
    expect(latest).toBe(await highestCommittedUsn());
    expect(await ad.changesSince(latest)).toEqual({ changes: [], token: latest });
  });
});

describe('AD connector: a backlog of changes', () => {
  it('reads it a window of USNs at a time: every account once and in order, and each poll about a page of objects', async () => {
    const token = await ad.latestToken();
    const names = Array.from({ length: 300 }, (_, i) => `backlog${String(i).padStart(3, '0')}`);
    await withSambaAdmin(server, async (c) => {
      for (const name of names) {
        await c.add(dnOf(name), { objectClass: 'user', sAMAccountName: name });
        // Writes elsewhere in the domain between them: USNs no account of the type holds.
        if (name.endsWith('0')) await c.modify(fleetDn(), replace('description', name));
      }
    });
    const counter = countSearchedEntries(AdClient, (_, options) => String(options?.filter).includes('uSNChanged'));
    try {
      const { changes, token: position, entriesByPoll } = await readChangesToEnd(ad, token, 25, counter);
      expect(changes.map((c) => c.changeType)).toEqual(names.map(() => 'add'));
      expect(changes.map((c) => /^CN=([^,]+),/.exec(c.secondaryIdentifier!)![1])).toEqual(names);
      expect(position).toBe(await highestCommittedUsn());
      // Every object changed since the position on each of the ~12 polls would be ~1,950 objects sent.
      expect(Math.max(...entriesByPoll.slice(3))).toBeLessThanOrEqual(4 * 25);
      expect(counter.entries).toBeLessThan(3 * names.length);
    } finally {
      counter.restore();
    }
  }, 120_000);
});

describe('AD connector: a group of 2,000 members', () => {
  it('reads every member, range after range (AD gives at most 1,500 values at once)', async () => {
    const groupDn = fleetDn();
    const memberDns = fleetMembers();
    // What the connector's client asks the server for (ldapts' own search, called through).
    const search = jest.spyOn(Client.prototype, 'search');
    let asked: string[][];
    try {
      const groups = connect({ baseContext: server.groupsDn, objectClasses: ['top', 'group'], searchFilter: '(objectClass=group)' });
      const fleet = await groups.get({ secondaryIdentifier: groupDn });
      expect(fleet.attributes.member).toHaveLength(2000);
      expect(new Set(fleet.attributes.member.map((m) => String(m).toLowerCase()))).toEqual(new Set(memberDns.map((m) => m.toLowerCase())));
      asked = search.mock.calls.filter(([base]) => String(base) === groupDn).map(([, options]) => [...((options as SearchOptions | undefined)?.attributes ?? [])]);
    } finally {
      search.mockRestore();
    }
    expect(asked).toEqual(expect.arrayContaining([expect.arrayContaining(['member;range=0-1499']), ['member;range=1500-*']]));
  });
});

describe('AD connector: passwords over StartTLS', () => {
  it('sends a password over StartTLS on an ldap:// URL: the user can bind with it', async () => {
    const startTls = connect({ url: server.url, startTls: true });
    const created = await startTls.create(dnOf('tls1'), { sAMAccountName: ['tls1'], unicodePwd: [USER_PASSWORD], __ENABLE__: ['TRUE'] });
    expect(await canBind(dnOf('tls1'), USER_PASSWORD)).toBe(true);
    await startTls.delete(created.primaryIdentifier);
  });

  it("checks the server's certificate on StartTLS, and refuses startTls on an ldaps:// URL", async () => {
    const e = await expectKind(connect({ url: server.url, startTls: true, tlsServerName: 'not-the-dc.tally.test' }).testConnection(), 'configuration');
    expect(e.message).toMatch(/not-the-dc\.tally\.test/);
    expect(() => connect({ startTls: true })).toThrow(/startTls is for an ldap:\/\/ URL/);
  });
});

describe("AD connector: AD's errors, with why", () => {
  it("says a password the domain's policy refuses breaks the password policy, keeping AD's own words", async () => {
    const user = await ad.get({ secondaryIdentifier: dnOf('user03') });
    const simple = 'aaaaaaaaaaaaaaaa';
    const e = await expectKind(ad.modify(user.primaryIdentifier, [{ path: 'unicodePwd', replace: [simple] }]), 'schema-violation');
    expect(e.nativeCode).toBe(19);
    expect(e.message).toMatch(/0000052D.*complexity/);
    expect(e.message).toMatch(/Active Directory: the password does not meet the domain's password policy/);
    expectNoSecret(e, [simple]);
  });

  it('says why AD rejects an attribute: one only AD sets, one only the system may change', async () => {
    const user = await ad.get({ secondaryIdentifier: dnOf('user03') });
    const sid = await expectKind(ad.modify(user.primaryIdentifier, [{ path: 'objectSid', replace: ['S-1-5-21-1-2-3-4'] }]), 'schema-violation');
    expect(sid.nativeCode).toBe(53);
    expect(sid.message).toMatch(/objectSid must not be specified.*\(Active Directory: an operation AD will not perform/);
    const created = await expectKind(ad.modify(user.primaryIdentifier, [{ path: 'whenCreated', replace: ['20200101000000.0Z'] }]), 'schema-violation');
    expect(created.nativeCode).toBe(19);
    expect(created.message).toMatch(/can only be modified as system.*\(Active Directory: a constraint of the attribute/);
  });

  it("says why AD refuses the service account's bind", async () => {
    const e = await expectKind(connect({ bindPassword: { env: 'TALLY_TEST_AD_WRONG_PASSWORD' } }).testConnection(), 'configuration');
    expect(e.message).toMatch(/\(Active Directory: wrong password\)/);
    expectNoSecret(e, [WRONG_PASSWORD, SAMBA_ADMIN_PASSWORD]);
  });
});

describe("AD connector's client: values given in ranges", () => {
  it('reads every range of a multi-valued attribute AD gives in parts (member;range=0-9, then the rest), under its own name', async () => {
    const groupDn = `CN=crew,${server.groupsDn}`;
    const memberDns = Array.from({ length: 25 }, (_, i) => dnOf(`crew${i}`));
    await withSambaAdmin(server, async (c) => {
      for (const [i, dn] of memberDns.entries()) await c.add(dn, { objectClass: 'user', sAMAccountName: `crew${i}` });
      await c.add(groupDn, { objectClass: 'group', sAMAccountName: 'crew', member: memberDns });
    });
    // Samba gives every value unless asked for a range; AD gives at most 1,500 at once (MaxValRange).
    const client = new AdClient({ url: server.url }, { allowPlainPasswords: false });
    try {
      await client.bind(server.adminDn, SAMBA_ADMIN_PASSWORD);
      const [group] = (await client.search(groupDn, { scope: 'base', attributes: ['member;range=0-9'] })).searchEntries;
      expect(Object.keys(group).sort()).toEqual(['dn', 'member']);
      expect([...(group.member as string[])].sort()).toEqual([...memberDns].sort());
    } finally {
      await client.unbind();
    }
  });
});
