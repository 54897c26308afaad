/**
 * The LDAP connector against a private OpenLDAP slapd (accesslog overlay), started here so it can be
 * stopped and restarted without disturbing other suites.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createConnector } from '../../../src/connectors';
import { ConnectorError, type ConnectorErrorKind } from '../../../src/connectors/connector-errors';
import type { Connector, ConnectorChange } from '../../../src/connectors/connector-types';
import { LDAP_INITIAL_TOKEN } from '../../../src/connectors/ldap/ldap-types';
import { startSlapd, type SlapdServer } from '../../../src/dev/servers';
import { ldapConnectorSchema, type LdapConnectorConfig } from '../../../src/schema/config';

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

async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected the operation to fail');
}

async function expectKind(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const e = await failure(p);
  // kind and message together, so a failure shows what the connector said
  expect(`${e.kind}: ${e.message}`).toMatch(new RegExp(`^${kind}: .+`));
  return e;
}

function expectNoSecret(e: ConnectorError): void {
  const shown = `${e.message} ${JSON.stringify(e)} ${String(e)} ${e.stack ?? ''}`;
  expect(shown).not.toContain(PASSWORD);
  expect(shown).not.toContain(WRONG_PASSWORD);
}

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

describe('LDAP connector', () => {
  let startToken: string;
  let jackUuid: string;

  it('tests the connection and reads the schema of the configured object classes', async () => {
    await ldap.testConnection();
    const schema = await ldap.schema();
    expect(schema.objectClass).toBe('inetOrgPerson');
    expect(schema.attributes).toEqual(expect.arrayContaining(['objectClass', 'cn', 'sn', 'uid', 'mail', 'description', 'userPassword']));
  });

  it('starts the changelog from the beginning when the accesslog is empty', async () => {
    startToken = await ldap.latestToken();
    expect(startToken).toBe(LDAP_INITIAL_TOKEN);
    expect(await ldap.changesSince(startToken)).toEqual({ changes: [], token: startToken });
  });

  it('creates an entry, adding the configured object classes, and returns it with its entryUUID', async () => {
    const created = await ldap.create(dnOf('jack'), {
      cn: ['Jack Sparrow'],
      sn: ['Sparrow'],
      mail: ['jack@example.com'],
      description: ['a', 'b'],
      userPassword: ['pirate-secret'],
    });
    expect(created.primaryIdentifier).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(created.secondaryIdentifier).toBe(dnOf('jack'));
    expect(created.objectClass).toBe('inetOrgPerson');
    expect(created.attributes).toEqual({
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid: ['jack'], // from the RDN
      cn: ['Jack Sparrow'],
      sn: ['Sparrow'],
      mail: ['jack@example.com'],
      description: ['a', 'b'],
    });
    jackUuid = created.primaryIdentifier;
  });

  it('gets an entry by primary identifier (entryUUID) and by secondary identifier (DN)', async () => {
    const byUuid = await ldap.get({ primaryIdentifier: jackUuid });
    const byDn = await ldap.get({ secondaryIdentifier: dnOf('jack') });
    expect(byUuid).toEqual(byDn);
    expect(byUuid.attributes.userPassword).toBeUndefined();
    expect(byUuid.attributes.entryUUID).toBeUndefined();
    const some = await ldap.get({ primaryIdentifier: jackUuid }, ['cn']);
    expect(some.attributes).toEqual({ cn: ['Jack Sparrow'] });
  });

  it('modifies a multi-valued attribute by add, delete and replace', async () => {
    const added = await ldap.modify(jackUuid, [{ path: 'description', add: ['c'], delete: ['a'] }]);
    expect([...added.attributes.description].sort()).toEqual(['b', 'c']);
    // Adding a present value and deleting an absent one is a no-op, not an error (retries are safe).
    const again = await ldap.modify(jackUuid, [{ path: 'description', add: ['c'], delete: ['a'] }]);
    expect([...again.attributes.description].sort()).toEqual(['b', 'c']);
    const replaced = await ldap.modify(jackUuid, [{ path: 'description', replace: ['x', 'y'] }]);
    expect([...replaced.attributes.description].sort()).toEqual(['x', 'y']);
    const cleared = await ldap.modify(jackUuid, [{ path: 'description', replace: [] }, { path: 'mail', replace: ['j@example.com'] }]);
    expect(cleared.attributes.description).toBeUndefined();
    expect(cleared.attributes.mail).toEqual(['j@example.com']);
  });

  it('renames when the naming attribute changes, and by the __NAME__ path; the entryUUID stays', async () => {
    const renamed = await ldap.modify(jackUuid, [{ path: 'uid', replace: ['jack2'] }]);
    expect(renamed.secondaryIdentifier).toBe(dnOf('jack2'));
    expect(renamed.primaryIdentifier).toBe(jackUuid);
    expect(renamed.attributes.uid).toEqual(['jack2']);
    await expectKind(ldap.get({ secondaryIdentifier: dnOf('jack') }), 'not-found');

    const byName = await ldap.modify(jackUuid, [{ path: '__NAME__', replace: [dnOf('captain')] }, { path: 'cn', replace: ['Captain Jack'] }]);
    expect(byName.secondaryIdentifier).toBe(dnOf('captain'));
    expect(byName.primaryIdentifier).toBe(jackUuid);
    expect(byName.attributes.uid).toEqual(['captain']);
    expect(byName.attributes.cn).toEqual(['Captain Jack']);
  });

  it('deletes by primary identifier', async () => {
    await ldap.delete(jackUuid);
    await expectKind(ldap.get({ primaryIdentifier: jackUuid }), 'not-found');
  });

  it('reads add, modify, modrdn and delete from the accesslog in order, without password values', async () => {
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

  it('pages through a search with the paged-results control and resumes a cursor in another connector', async () => {
    const uids = Array.from({ length: 25 }, (_, i) => `user${String(i).padStart(2, '0')}`);
    for (const uid of uids) await ldap.create(dnOf(uid), { cn: [uid], sn: ['Test'] });

    const sizes: number[] = [];
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await ldap.search({ cursor, pageSize: 10, attributesToGet: ['uid'] });
      sizes.push(page.objects.length);
      seen.push(...page.objects.map((o) => String(o.attributes.uid[0])));
      cursor = page.cursor;
    } while (cursor);
    expect(sizes).toEqual([10, 10, 5]);
    expect([...seen].sort()).toEqual(uids);

    // A cursor outlives its connector (e.g. a reconciliation activity retried on another worker).
    const first = await ldap.search({ pageSize: 10 });
    const other = connect();
    const second = await other.search({ cursor: first.cursor, pageSize: 10 });
    const third = await other.search({ cursor: second.cursor, pageSize: 10 });
    expect(third.cursor).toBeUndefined();
    const all = [...first.objects, ...second.objects, ...third.objects].map((o) => o.secondaryIdentifier);
    expect(new Set(all).size).toBe(25);
  });

  it('reports already-exists, not-found and schema violations', async () => {
    await expectKind(ldap.create(dnOf('user00'), { cn: ['x'], sn: ['y'] }), 'already-exists');
    await expectKind(ldap.get({ primaryIdentifier: '00000000-0000-0000-0000-000000000000' }), 'not-found');
    await expectKind(ldap.get({ secondaryIdentifier: dnOf('nobody') }), 'not-found');
    await expectKind(ldap.modify('00000000-0000-0000-0000-000000000000', [{ path: 'cn', replace: ['x'] }]), 'not-found');
    await expectKind(ldap.delete('00000000-0000-0000-0000-000000000000'), 'not-found');
    // undefined attribute type (17), missing required sn (65), a second value of single-valued attribute (19)
    await expectKind(ldap.create(dnOf('bad1'), { cn: ['x'], sn: ['y'], noSuchAttribute: ['z'] }), 'schema-violation');
    await expectKind(ldap.create(dnOf('bad2'), { cn: ['x'] }), 'schema-violation');
    await expectKind(ldap.create(dnOf('bad3'), { cn: ['x'], sn: ['y'], preferredLanguage: ['en', 'de'] }), 'schema-violation');
    const user01 = await ldap.get({ secondaryIdentifier: dnOf('user01') });
    await expectKind(ldap.modify(user01.primaryIdentifier, [{ path: 'sn', replace: [] }]), 'schema-violation');
    await expectKind(ldap.create(`uid=x,ou=nowhere,${server.baseDn}`, { cn: ['x'], sn: ['y'] }), 'configuration');
  });

  it('reports wrong or missing credentials as configuration errors that never show a password', async () => {
    const wrong = connect({ bindPassword: { env: 'TALLY_TEST_LDAP_WRONG_PASSWORD' } });
    const e = await expectKind(wrong.testConnection(), 'configuration');
    expect(e.nativeCode).toBe(49);
    expectNoSecret(e);
    expectNoSecret(await expectKind(wrong.get({ secondaryIdentifier: dnOf('user01') }), 'configuration'));

    const missing = connect({ bindPassword: { env: 'TALLY_TEST_LDAP_UNSET_VARIABLE' } });
    const m = await expectKind(missing.testConnection(), 'configuration');
    expect(m.message).toContain('TALLY_TEST_LDAP_UNSET_VARIABLE');

    // A secret file may end with a newline; a missing one is named, its content never is.
    const secretFile = path.join(dataDir, 'bind-password');
    writeFileSync(secretFile, `${PASSWORD}\n`, { mode: 0o600 });
    await connect({ bindPassword: { file: secretFile } }).testConnection();
    const noFile = await expectKind(connect({ bindPassword: { file: `${secretFile}.missing` } }).testConnection(), 'configuration');
    expect(noFile.message).toContain(`${secretFile}.missing`);

    expect(JSON.stringify(ldap)).not.toContain(PASSWORD);
    expect(String(ldap)).not.toContain(PASSWORD);
  });

  it('reports a stopped server as a communication error and works again once it is back', async () => {
    const user02 = await ldap.get({ secondaryIdentifier: dnOf('user02') });
    const cursorBefore = (await ldap.search({ pageSize: 10 })).cursor;
    await server.stop();

    const errors = [
      await expectKind(ldap.get({ primaryIdentifier: user02.primaryIdentifier }), 'communication'),
      await expectKind(ldap.create(dnOf('during-outage'), { cn: ['x'], sn: ['y'] }), 'communication'),
      await expectKind(ldap.modify(user02.primaryIdentifier, [{ path: 'cn', replace: ['z'] }]), 'communication'),
      await expectKind(ldap.delete(user02.primaryIdentifier), 'communication'),
      await expectKind(ldap.search({ cursor: cursorBefore, pageSize: 10 }), 'communication'),
      await expectKind(ldap.changesSince(LDAP_INITIAL_TOKEN), 'communication'),
      await expectKind(ldap.latestToken(), 'communication'),
      await expectKind(ldap.testConnection(), 'communication'),
      await expectKind(connect().testConnection(), 'communication'),
    ];
    errors.forEach(expectNoSecret);

    await server.restart();
    await ldap.testConnection();
    const modified = await ldap.modify(user02.primaryIdentifier, [{ path: 'cn', replace: ['back again'] }]);
    expect(modified.attributes.cn).toEqual(['back again']);
    const resumed = await ldap.search({ cursor: cursorBefore, pageSize: 10 });
    expect(resumed.objects).toHaveLength(10);
    const changes = await ldap.changesSince(await ldap.latestToken());
    expect(changes.changes).toEqual([]);
  });

  it('stays bound after a restart it did not notice (no anonymous writes)', async () => {
    const user03 = await ldap.get({ secondaryIdentifier: dnOf('user03') });
    await server.restart();
    const modified = await ldap.modify(user03.primaryIdentifier, [{ path: 'description', add: ['after silent restart'] }]);
    expect(modified.attributes.description).toEqual(['after silent restart']);
  });
});
