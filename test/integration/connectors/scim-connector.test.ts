/**
 * The SCIM connector on a private scim2-server, behind the test proxy (test/support/scim.ts): "stopping"
 * the resource takes the proxy's port away (scim2-server keeps its users in memory), and the proxy answers
 * 429 and 412 where a test asks it to.
 */
import { randomBytes } from 'node:crypto';
import { createConnector } from '../../../src/connectors';
import type { Connector } from '../../../src/connectors/connector-types';
import { resourceSchema, scimConnectorSchema, type ScimConnectorConfig } from '../../../src/schema/config';
import { CURSOR_PAGING, startTestScim, type TestScim } from '../../support/scim';
import { describeConnectorContract, expectKind, expectNoSecret, type ConnectorFixture } from './connector-contract';

const PASSWORD = `Scim-${randomBytes(9).toString('hex')}!`;
const TOKEN_VARIABLE = 'TALLY_TEST_SCIM_TOKEN';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let scim: TestScim;
const opened: Connector[] = [];

function connect(overrides: Partial<ScimConnectorConfig> = {}, objectTypes?: Parameters<typeof createConnector>[1]): Connector {
  const c = createConnector(scimConnectorSchema.parse({ type: 'scim', baseUrl: scim.proxy.url, token: { env: TOKEN_VARIABLE }, timeout: '3s', ...overrides }), objectTypes);
  opened.push(c);
  return c;
}

/** A resource whose account type has the Groups' membership as its ri:group association. */
const withGroups = () =>
  resourceSchema.parse({
    kind: 'Resource',
    name: 'SCIM',
    connector: { type: 'scim', baseUrl: 'http://x', token: { env: TOKEN_VARIABLE } },
    schemaHandling: {
      objectType: [
        { kind: 'account', objectClass: 'User', association: [{ ref: 'ri:group', kind: 'entitlement', intent: 'group', associationAttribute: 'members', valueAttribute: 'id' }] },
        { kind: 'entitlement', intent: 'group', objectClass: 'Group' },
      ],
    },
  }).schemaHandling.objectType;

let scimConnector: Connector;

beforeAll(async () => {
  scim = await startTestScim();
  process.env[TOKEN_VARIABLE] = scim.token;
  scimConnector = connect();
}, 60_000);

afterAll(async () => {
  for (const c of opened) await c.close();
  await scim?.close();
});

const userNamed = async (userName: string) =>
  ((await scim.call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.Resources as Array<Record<string, unknown>>)[0];

const fixture = (): ConnectorFixture => ({
  connector: scimConnector,
  connect: () => connect(),
  initialToken: null,
  schema: { objectClass: 'User', attributes: ['userName', 'displayName', 'name.givenName', 'emails', '__ENABLE__', 'password', 'employeeNumber', 'department', 'manager'], complete: false },
  nameOf: (name) => name,
  account: {
    attributes: { displayName: ['Jack Sparrow'], 'name.givenName': ['Jack'], emails: ['a', 'b'], department: ['Sea'], employeeNumber: ['42'], __ENABLE__: ['TRUE'], password: [PASSWORD] },
    stored: { userName: ['jack'], displayName: ['Jack Sparrow'], 'name.givenName': ['Jack'], emails: ['a', 'b'], department: ['Sea'], employeeNumber: ['42'], __ENABLE__: ['TRUE'] },
    primaryIdentifier: /^[0-9a-f]{32}$/,
    hidden: ['id', 'password'],
    some: { names: ['department'], attributes: { userName: ['jack'], department: ['Sea'] } },
  },
  minimalAttributes: (short) => ({ displayName: [`User ${short}`] }),
  multiValued: 'emails',
  valuesInOrder: false,
  textAttribute: 'displayName',
  namingAttribute: 'userName',
  unknownPrimaryIdentifier: 'no-such-id',
  deletesAreChanges: false,
  violations: {
    create: [
      ['bad1', { no_such_attribute: ['x'] }],
      ['bad2', { displayName: ['one', 'two'] }], // single-valued
    ],
    modify: [[{ path: 'no_such_attribute', replace: ['x'] }], [{ path: 'displayName', replace: ['one', 'two'] }], [{ path: 'userName', replace: [] }]],
  },
  alreadyExistsCode: 409,
  credentials: {
    wrong: () => {
      process.env.TALLY_TEST_SCIM_WRONG = 'not-the-token';
      return connect({ token: { env: 'TALLY_TEST_SCIM_WRONG' } });
    },
    wrongCode: 401,
    unset: () => connect({ token: { env: 'TALLY_TEST_SCIM_UNSET' } }),
    unsetVariable: 'TALLY_TEST_SCIM_UNSET',
  },
  secrets: [PASSWORD, 'not-the-token'],
  countObjects: async () => (await scim.call('GET', '/Users?count=0')).body.totalResults as number,
  stopResource: () => scim.proxy.down(),
  restartResource: () => scim.proxy.up(),
});

const contract = describeConnectorContract('SCIM connector', fixture, {
  afterGet() {
    it('keeps the enterprise attributes under the extension, and never reads the password back', async () => {
      const user = await userNamed('jack');
      expect(user[ENTERPRISE]).toEqual({ department: 'Sea', employeeNumber: '42' });
      expect(user.active).toBe(true);
      expect(JSON.stringify(user)).not.toContain(PASSWORD);
    });
  },
  afterModify() {
    it('retries a write the service refused with 412 once, after reading the user again; a second 412 is a communication error', async () => {
      scim.proxy.conflicts(1);
      const once = await scimConnector.modify(contract.accountId, [{ path: 'department', replace: ['Land'] }]);
      expect(once.attributes.department).toEqual(['Land']);
      scim.proxy.conflicts(2);
      const e = await expectKind(scimConnector.modify(contract.accountId, [{ path: 'department', replace: ['Port'] }]), 'communication');
      expect(e.nativeCode).toBe(412);
      scim.proxy.conflicts(0);
      expect((await userNamed('jack'))[ENTERPRISE]).toMatchObject({ department: 'Land' });
    });
  },
});

describe('SCIM connector: what only SCIM does', () => {
  it('names the service\'s own detail in a schema violation', async () => {
    const e = await expectKind(scimConnector.create('bad3', { no_such_attribute: ['x'] }), 'schema-violation');
    expect(e.message).toMatch(/400 invalidSyntax: Extra inputs are not permitted: no_such_attribute/);
  });

  it('answers a 429 with its Retry-After as a communication error, and works once the service does', async () => {
    scim.proxy.busy(7);
    try {
      const e = await expectKind(scimConnector.get({ secondaryIdentifier: 'user03' }), 'communication');
      expect(e.message).toContain('Retry-After: 7');
      expect(e.nativeCode).toBe(429);
      expectNoSecret(e, [scim.token]);
    } finally {
      scim.proxy.calm();
    }
    expect((await scimConnector.get({ secondaryIdentifier: 'user03' })).secondaryIdentifier).toBe('user03');
  });

  it('says SCIM has no changelog and what to schedule instead', async () => {
    const e = await expectKind(scimConnector.latestToken(), 'configuration');
    expect(e.message).toMatch(/SCIM has no changelog.*schedule a reconciliation/);
  });

  it('gives group membership as an association: members[].value holds the user\'s id, the account carries the groups\' names', async () => {
    const groups = connect({}, withGroups());
    for (const displayName of ['crew', 'officers']) expect((await scim.call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName })).status).toBe(201);
    const will = await groups.create('will', { displayName: ['Will Turner'], 'association/group': ['crew'] });
    expect(will.attributes['association/group']).toEqual(['crew']);
    const members = async (displayName: string) => {
      const list = await scim.call('GET', `/Groups?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
      return (((list.body.Resources as Array<{ members?: Array<{ value: string }> }>)[0].members) ?? []).map((m) => m.value);
    };
    expect(await members('crew')).toEqual([will.primaryIdentifier]);

    const moved = await groups.modify(will.primaryIdentifier, [{ path: 'association/group', add: ['officers'], delete: ['crew'] }]);
    expect(moved.attributes['association/group']).toEqual(['officers']);
    expect(await members('crew')).toEqual([]);
    expect(await groups.get({ secondaryIdentifier: 'will' }, ['displayName'])).toEqual(expect.objectContaining({ attributes: { userName: ['will'], displayName: ['Will Turner'] } }));

    let found;
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await groups.search({ cursor, pageSize: 10 });
      found ??= page.objects.find((o) => o.secondaryIdentifier === 'will');
      cursor = page.cursor;
    }
    expect(found?.attributes['association/group']).toEqual(['officers']);

    await groups.delete(will.primaryIdentifier);
    expect(await members('officers')).toEqual([]);
    await expectKind(groups.modify(will.primaryIdentifier, [{ path: 'association/group', add: ['crew'] }]), 'not-found');
    await expectKind(connect({}, withGroups()).create('hector', { 'association/group': ['no such group'] }), 'schema-violation');
  });

  it('writes with PUT where the service takes no PATCH, and disables instead of deleting when told to', async () => {
    const put = connect({ patch: false, deprovision: 'disable' }, withGroups());
    const anne = await put.create('anne', { displayName: ['Anne Bonny'], emails: ['anne@example.com'] });
    const before = scim.proxy.passed.PUT ?? 0;
    const modified = await put.modify(anne.primaryIdentifier, [
      { path: 'emails', add: ['bonny@example.com'] },
      { path: 'department', replace: ['Caribbean'] },
      { path: 'association/group', add: ['crew'] },
    ]);
    expect((scim.proxy.passed.PUT ?? 0) - before).toBe(2); // the user, the group
    expect(modified.attributes).toEqual(expect.objectContaining({ emails: ['anne@example.com', 'bonny@example.com'], department: ['Caribbean'], 'association/group': ['crew'] }));
    await put.delete(anne.primaryIdentifier);
    expect((await put.get({ primaryIdentifier: anne.primaryIdentifier })).attributes.__ENABLE__).toEqual(['FALSE']);
  });

  it("pages by the service's cursor where its ServiceProviderConfig offers one, and a cursor outlives its connector", async () => {
    const cursors = await startTestScim({ serviceProviderConfig: CURSOR_PAGING });
    try {
      const on = (url: string) => {
        const c = createConnector(scimConnectorSchema.parse({ type: 'scim', baseUrl: url, token: { env: 'TALLY_TEST_SCIM_CURSORS' } }));
        opened.push(c);
        return c;
      };
      process.env.TALLY_TEST_SCIM_CURSORS = cursors.token;
      const c = on(cursors.proxy.url);
      for (let i = 0; i < 12; i++) await c.create(`paged${i}`, { displayName: [`Paged ${i}`] });
      const first = await c.search({ pageSize: 5, attributesToGet: ['displayName'] });
      const names = first.objects.map((o) => o.secondaryIdentifier);
      const sizes = [first.objects.length];
      for (let cursor = first.cursor; cursor; ) {
        const page = await on(cursors.proxy.url).search({ cursor, pageSize: 5, attributesToGet: ['displayName'] });
        names.push(...page.objects.map((o) => o.secondaryIdentifier));
        sizes.push(page.objects.length);
        cursor = page.cursor;
      }
      expect(sizes).toEqual([5, 5, 2]);
      expect(new Set(names)).toEqual(new Set(Array.from({ length: 12 }, (_, i) => `paged${i}`)));
      const searches = cursors.proxy.gets.filter((g) => g.startsWith('/Users?'));
      expect(searches).toHaveLength(3);
      expect(searches.every((g) => new URL(g, 'http://x').searchParams.has('cursor') && !new URL(g, 'http://x').searchParams.has('startIndex'))).toBe(true);
    } finally {
      await cursors.close();
    }
  });

  it("refuses to work on groups of their own: a role projected to its own group is LDAP's only", () => {
    const types = withGroups();
    const config = scimConnectorSchema.parse({ type: 'scim', baseUrl: scim.proxy.url, token: { env: TOKEN_VARIABLE } });
    expect(() => createConnector(config, types, types[1])).toThrow('the scim connector provisions Users; groups of their own (entitlement/group) need an LDAP resource');
  });

  it('summarises what the service says of itself: ServiceProviderConfig, Schemas, ResourceTypes', async () => {
    const lines = await scimConnector.describeService!();
    expect(lines.map((l) => l.check)).toEqual(['ServiceProviderConfig', 'Schemas', 'ResourceTypes']);
    expect(lines[0].message).toMatch(/^patch yes, bulk yes \(1000 operations\), filter yes .*etag yes.*authentication oauthbearertoken/);
    expect(lines[1].message).toMatch(/User \(\d+ attributes\), Group \(\d+ attributes\), EnterpriseUser/);
    expect(lines[2].message).toBe('User at /Users (extensions enterprise:2.0:User), Group at /Groups');
  });
});
