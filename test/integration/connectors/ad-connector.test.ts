/**
 * The Active Directory connector against a private Samba AD DC (started here, from the machine's domain
 * template, so the contract can stop and restart it), over LDAPS with the server's own CA.
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { createConnector } from '../../../src/connectors';
import { AdClient } from '../../../src/connectors/ad/ad-client';
import { AD_INITIAL_TOKEN } from '../../../src/connectors/ad/ad-change-reading';
import type { Connector } from '../../../src/connectors/connector-types';
import type { SambaServer } from '../../../src/dev/servers';
import { runCommand } from '../../../src/dev/servers/process';
import { adConnectorSchema, type AdConnectorConfig } from '../../../src/schema/config';
import { bindsToSamba, SAMBA_ADMIN_PASSWORD, startTestSamba, withSambaAdmin } from '../../support/samba';
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

beforeAll(async () => {
  samba = await startTestSamba();
  server = samba.server;
  config = adConnectorSchema.parse({
    type: 'ad',
    url: server.ldapsUrl,
    bindDn: server.adminDn,
    bindPassword: { env: 'TALLY_TEST_AD_PASSWORD' },
    baseContext: server.peopleDn,
    caFile: server.caFile,
    tlsServerName: server.tlsServerName,
    timeout: '5s',
  });
  ad = connect();
});

afterAll(async () => {
  for (const c of opened) await c.close();
  await samba?.close();
});

const fixture = (): ConnectorFixture => ({
  connector: ad,
  connect: () => connect(),
  initialToken: AD_INITIAL_TOKEN,
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
