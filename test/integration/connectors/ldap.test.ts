/**
 * The LDAP connector against a private OpenLDAP slapd (accesslog overlay), started here so it can be
 * stopped and restarted without disturbing other suites.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'ldapts';
import { createConnector } from '../../../src/connectors';
import type { ConnectorError } from '../../../src/connectors/connector-errors';
import type { Connector, ConnectorChange } from '../../../src/connectors/connector-types';
import { LDAP_INITIAL_TOKEN } from '../../../src/connectors/ldap/ldap-types';
import { startSlapd, type SlapdServer } from '../../../src/dev/servers';
import { ldapConnectorSchema, type LdapConnectorConfig } from '../../../src/schema/config';
import { withLdapAdmin } from '../../support/ldap-admin';
import { countSearchedEntries, readChangesToEnd } from '../../support/changelog-reading';
import { describeConnectorContract, expectKind, expectNoSecret, type ConnectorFixture } from './connector-contract';

const PASSWORD = `bind-${randomBytes(9).toString('hex')}`;
const WRONG_PASSWORD = `wrong-${randomBytes(9).toString('hex')}`;
process.env.TALLY_TEST_LDAP_PASSWORD = PASSWORD;
process.env.TALLY_TEST_LDAP_WRONG_PASSWORD = WRONG_PASSWORD;

let dataDir: string;
let server: SlapdServer;
let config: LdapConnectorConfig;
let ldap: Connector;
const opened: Connector[] = [];

function connect(overrides: Partial<LdapConnectorConfig> = {}): Connector {
  const c = createConnector({ ...config, ...overrides });
  opened.push(c);
  return c;
}

const noSecret = (e: ConnectorError) => expectNoSecret(e, [PASSWORD, WRONG_PASSWORD]);

const dnOf = (uid: string) => `uid=${uid},${server.peopleDn}`;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'tally-ldap-connector-'));
  server = await startSlapd({ dataDir, adminPassword: PASSWORD });
  config = ldapConnectorSchema.parse({
    type: 'ldap',
    url: server.url,
    bindDn: server.bindDn,
    bindPassword: { env: 'TALLY_TEST_LDAP_PASSWORD' },
    baseContext: server.peopleDn,
    timeout: '3s',
    // This connector reads back its own writes: none are left out as Tally's.
    changelog: { type: 'accesslog', base: server.accesslogBase, ignoreModifiers: [] },
  });
  ldap = connect();
});

afterAll(async () => {
  for (const c of opened) await c.close();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const fixture = (): ConnectorFixture => ({
  connector: ldap,
  connect: () => connect(),
  initialToken: LDAP_INITIAL_TOKEN,
  schema: { objectClass: 'inetOrgPerson', attributes: ['objectClass', 'cn', 'sn', 'uid', 'mail', 'description', 'userPassword'], complete: false },
  nameOf: dnOf,
  account: {
    attributes: { cn: ['Jack Sparrow'], sn: ['Sparrow'], mail: ['jack@example.com'], description: ['a', 'b'], userPassword: ['pirate-secret'] },
    // the configured object classes added, uid from the RDN
    stored: {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid: ['jack'],
      cn: ['Jack Sparrow'],
      sn: ['Sparrow'],
      mail: ['jack@example.com'],
      description: ['a', 'b'],
    },
    primaryIdentifier: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, // entryUUID
    hidden: ['userPassword', 'entryUUID'],
    some: { names: ['cn'], attributes: { cn: ['Jack Sparrow'] } },
  },
  minimalAttributes: (uid) => ({ cn: [uid], sn: ['Test'] }),
  multiValued: 'description',
  valuesInOrder: false,
  textAttribute: 'cn',
  namingAttribute: 'uid',
  unknownPrimaryIdentifier: '00000000-0000-0000-0000-000000000000',
  deletesAreChanges: true,
  violations: {
    // undefined attribute type (17), missing required sn (65), a second value of single-valued attribute (19)
    create: [
      ['bad1', { cn: ['x'], sn: ['y'], noSuchAttribute: ['z'] }],
      ['bad2', { cn: ['x'] }],
      ['bad3', { cn: ['x'], sn: ['y'], preferredLanguage: ['en', 'de'] }],
    ],
    modify: [[{ path: 'sn', replace: [] }]],
  },
  credentials: {
    wrong: () => connect({ bindPassword: { env: 'TALLY_TEST_LDAP_WRONG_PASSWORD' } }),
    wrongCode: 49,
    unset: () => connect({ bindPassword: { env: 'TALLY_TEST_LDAP_UNSET_VARIABLE' } }),
    unsetVariable: 'TALLY_TEST_LDAP_UNSET_VARIABLE',
  },
  secrets: [PASSWORD, WRONG_PASSWORD],
  manyAtOnce: { get: true, modify: false },
  countObjects: () =>
    withLdapAdmin({ ldap: { ...server, bindPassword: PASSWORD } }, async (c) => {
      const { searchEntries } = await c.search(server.peopleDn, { scope: 'one', filter: '(objectClass=inetOrgPerson)', attributes: ['1.1'] });
      return searchEntries.length;
    }),
  stopResource: () => server.stop(),
  restartResource: () => server.restart(),
});

const contract = describeConnectorContract('LDAP connector', fixture, {
  afterModify() {
    it('clears an attribute by replacing it with no values', async () => {
      const cleared = await ldap.modify(contract.accountId, [{ path: 'description', replace: [] }, { path: 'mail', replace: ['j@example.com'] }]);
      expect(cleared.attributes.description).toBeUndefined();
      expect(cleared.attributes.mail).toEqual(['j@example.com']);
    });
  },
  afterRename() {
    it('deletes the renamed entry by primary identifier', async () => {
      await ldap.delete(contract.accountId);
      await expectKind(ldap.get({ primaryIdentifier: contract.accountId }), 'not-found');
    });

    it('reads add, modify, modrdn and delete from the accesslog in order, without password values', async () => {
      const jackUuid = contract.accountId;
      // The contract found the accesslog empty: these are the contract's changes and the clearing above.
      const startToken = LDAP_INITIAL_TOKEN;
      const page = await ldap.changesSince(startToken);
      const summary = page.changes.map((c: ConnectorChange) => [c.changeType, c.secondaryIdentifier, c.newSecondaryIdentifier]);
      expect(summary).toEqual([
        ['add', dnOf('jack'), undefined],
        ['modify', dnOf('jack'), undefined],
        // the second, identical modify changed nothing and was not sent
        ['modify', dnOf('jack'), undefined],
        ['modify', dnOf('jack'), undefined],
        ['modify', dnOf('jack'), dnOf('jack2')], // modrdn
        ['modify', dnOf('jack2'), dnOf('captain')], // modrdn
        ['modify', dnOf('captain'), undefined], // cn after the rename
        ['delete', dnOf('captain'), undefined],
      ]);
      for (const c of page.changes) expect(c.primaryIdentifier).toBe(jackUuid);
      const tokens = page.changes.map((c) => c.token);
      expect([...tokens].sort()).toEqual(tokens);
      expect(new Set(tokens).size).toBe(tokens.length);
      expect(page.token).toBe(tokens[tokens.length - 1]);

      const add = page.changes[0].attributeDeltas!;
      expect(add).toEqual(
        expect.arrayContaining([
          { path: 'uid', add: ['jack'] },
          { path: 'cn', add: ['Jack Sparrow'] },
          { path: 'description', add: ['a', 'b'] },
        ]),
      );
      const paths = page.changes.flatMap((c) => (c.attributeDeltas ?? []).map((d) => d.path.toLowerCase()));
      expect(paths).not.toContain('userpassword');
      expect(paths).not.toContain('entryuuid');
      expect(paths).not.toContain('modifiersname');
      expect(JSON.stringify(page)).not.toContain('pirate-secret');

      expect(page.changes[1].attributeDeltas).toEqual([
        { path: 'description', delete: ['a'] },
        { path: 'description', add: ['c'] },
      ]);
      expect(page.changes[3].attributeDeltas).toEqual([
        { path: 'description', replace: [] },
        { path: 'mail', replace: ['j@example.com'] },
      ]);
      expect(page.changes[4].attributeDeltas).toEqual([{ path: 'uid', add: ['jack2'], delete: ['jack'] }]);

      // Strictly after a token; a limit stops early and hands back the last change's token.
      const rest = await ldap.changesSince(tokens[3]);
      expect(rest.changes.map((c) => c.token)).toEqual(tokens.slice(4));
      const limited = await ldap.changesSince(startToken, 2);
      expect(limited.changes.map((c) => c.token)).toEqual(tokens.slice(0, 2));
      expect(limited.token).toBe(tokens[1]);
      expect(await ldap.changesSince(page.token)).toEqual({ changes: [], token: page.token });
      expect(await ldap.latestToken()).toBe(page.token);
    });
  },
});

describe('LDAP connector', () => {
  it('reports a missing parent entry as a configuration error', async () => {
    await expectKind(ldap.create(`uid=x,ou=nowhere,${server.baseDn}`, { cn: ['x'], sn: ['y'] }), 'configuration');
  });

  it('reads the bind password from a file, which may end with a newline; a missing one is named', async () => {
    const secretFile = path.join(dataDir, 'bind-password');
    writeFileSync(secretFile, `${PASSWORD}\n`, { mode: 0o600 });
    await connect({ bindPassword: { file: secretFile } }).testConnection();
    const noFile = await expectKind(connect({ bindPassword: { file: `${secretFile}.missing` } }).testConnection(), 'configuration');
    expect(noFile.message).toContain(`${secretFile}.missing`);
    noSecret(noFile);
  });

  it('reads the changelog twice at once on one connection, past a page of the accesslog (the server keeps one paging state per connection)', async () => {
    const start = await ldap.latestToken();
    const user04 = await ldap.get({ secondaryIdentifier: dnOf('user04') });
    for (let i = 0; i < 1_100; i++) await ldap.modify(user04.primaryIdentifier, [{ path: 'description', replace: [`change ${i}`] }]);
    const [latest, changes, latestAgain, changesAgain] = await Promise.all([ldap.latestToken(), ldap.changesSince(start, 5_000), ldap.latestToken(), ldap.changesSince(start, 5_000)]);
    expect(latestAgain).toBe(latest);
    expect(changes.changes).toHaveLength(1_100);
    expect(changesAgain).toEqual(changes);
    expect(changes.token).toBe(latest);
  });

  it('reads a backlog a window at a time: pages far behind, across gaps, give every change once and in order, and slapd sends about a page each', async () => {
    const start = await ldap.latestToken();
    const user05 = await ldap.get({ secondaryIdentifier: dnOf('user05') });
    const written: string[] = [];
    // Three bursts with quiet seconds between them: a window that finds nothing jumps to the next record.
    for (const burst of [0, 1, 2]) {
      if (burst > 0) await new Promise((r) => setTimeout(r, 2_500));
      for (let i = 0; i < 400; i++) {
        const value = `burst ${burst} change ${i}`;
        await ldap.modify(user05.primaryIdentifier, [{ path: 'description', replace: [value] }]);
        written.push(value);
      }
    }
    const latest = await ldap.latestToken();
    const counter = countSearchedEntries(Client, (base) => base === server.accesslogBase);
    try {
      const { changes, token, entriesByPoll } = await readChangesToEnd(ldap, start, 50, counter);
      expect(changes.map((c) => (c.attributeDeltas ?? []).find((d) => d.path === 'description')!.replace![0])).toEqual(written);
      expect(token).toBe(latest);
      // The first polls learn how much of the changelog a page spans (the width left by earlier reads may
      // span the whole backlog); then each reads its page and at most the rest of a window, which at a
      // burst's start, with the width of the sparse end of the last one, may hold most of that burst (400;
      // how much depends on how fast the machine wrote it). Reading the whole backlog on each of the ~25
      // polls would send over 1,000 records on each of the first polls and ~13 times the backlog in all.
      expect(entriesByPoll.length).toBeGreaterThanOrEqual(written.length / 50);
      expect(Math.max(...entriesByPoll.slice(3))).toBeLessThanOrEqual(400 + 2 * 50);
      expect(counter.entries).toBeLessThan(4 * written.length);
    } finally {
      counter.restore();
    }
  }, 60_000);

  it('says a position the accesslog no longer holds has expired, and gives the latest one', async () => {
    const page = await ldap.changesSince('20000101000000.000000Z#000000#000#000000');
    expect(page).toEqual({ changes: [], token: await ldap.latestToken(), expired: true });
  });

  it('stays bound after a restart it did not notice (no anonymous writes)', async () => {
    const user03 = await ldap.get({ secondaryIdentifier: dnOf('user03') });
    await server.restart();
    const modified = await ldap.modify(user03.primaryIdentifier, [{ path: 'description', add: ['after silent restart'] }]);
    expect(modified.attributes.description).toEqual(['after silent restart']);
  });
});
