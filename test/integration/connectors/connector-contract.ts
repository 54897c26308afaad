/**
 * The connector contract: what every connector does, whatever its resource. A connector's test file
 * starts its resource, describes it in a ConnectorFixture and calls describeConnectorContract; its own
 * describe keeps only what is specific to the resource. The contract's tests run in order on one
 * account and the objects it creates; `specific` slots a file's own tests in where they need that state.
 */
import { ConnectorError, type ConnectorErrorKind } from '../../../src/connectors/connector-errors';
import type { Connector } from '../../../src/connectors/connector-types';
import type { AttributeDelta, AttributeValue, Attributes } from '../../../src/schema/objects';

export interface ConnectorFixture {
  /** The file's connector, which the contract works with. */
  connector: Connector;
  /** Another connector on the same resource, closed by the file. */
  connect(): Connector;
  /** The changelog token meaning "from the beginning"; null: the resource has no changelog (SCIM), reading one is a configuration error. */
  initialToken: string | null;
  /** What schema() says; `complete`: the attributes are all of them, in order (else the schema has these and more). */
  schema: { objectClass: string; attributes: string[]; complete: boolean };
  /** The secondary identifier of the object called `short` (a DN, a row's name). */
  nameOf(short: string): string;
  /** The account the contract creates as nameOf('jack'), renames and modifies. */
  account: {
    attributes: Attributes;
    /** Its attributes as create returns them (jest matchers allowed). */
    stored: Record<string, unknown>;
    primaryIdentifier: RegExp;
    /** Attributes never returned: the primary identifier, passwords. */
    hidden: string[];
    /** get with `names` returns exactly `attributes`. */
    some: { names: string[]; attributes: Attributes };
  };
  /** Valid attributes of any other account. */
  minimalAttributes(short: string): Attributes;
  /** A multi-valued attribute the account is created with, holding a and b. */
  multiValued: string;
  /** Whether multiple values come back in the order they were written (an array column) or in any order. */
  valuesInOrder: boolean;
  /** A single-valued text attribute of every account. */
  textAttribute: string;
  /** The attribute holding the account's name (the RDN's, the name column): changing it renames. */
  namingAttribute: string;
  /** A primary identifier no object has. */
  unknownPrimaryIdentifier: string;
  /** Whether changesSince shows a delete (a changelog) or not (a modified column). */
  deletesAreChanges: boolean;
  /** Creates (short name, attributes) and modifies of an existing account the resource refuses as schema violations. */
  violations: { create: Array<[string, Attributes]>; modify: AttributeDelta[][] };
  /** nativeCode of the resource's duplicate-name error, if it has one. */
  alreadyExistsCode?: string | number;
  /** How to make wrong and missing credentials; a resource without any (a file) leaves it out. */
  credentials?: {
    /** A connector with a wrong password, and the nativeCode of the refusal. */
    wrong(): Connector;
    wrongCode: string | number;
    /** A connector whose password is in an unset environment variable. */
    unset(): Connector;
    unsetVariable: string;
  };
  /** Passwords no error and no rendering of the connector may show. */
  secrets: string[];
  /** Which operations on many objects at once the connector offers (getMany, modifyMany); none when left out. */
  manyAtOnce?: { get: boolean; modify: boolean };
  /** How many objects the connector's type has on the resource (counted without the connector). */
  countObjects(): Promise<number>;
  stopResource(): Promise<void>;
  restartResource(): Promise<void>;
}

/** The fixture's account attributes on a resource of rows (a table, a file) with the columns name, full_name and groups. */
export const rowsFixture = {
  minimalAttributes: () => ({ groups: ['staff'] }),
  multiValued: 'groups',
  valuesInOrder: true,
  textAttribute: 'full_name',
  namingAttribute: 'name',
} satisfies Partial<ConnectorFixture>;

/** Where a file's own tests go in the contract's sequence. */
export interface SpecificTests {
  /** After create and get, before any modify. */
  afterGet?: () => void;
  /** After the multi-valued modifies, before the renames. */
  afterModify?: () => void;
  /** After the renames (the account is nameOf('captain')), before the delete. */
  afterRename?: () => void;
}

export interface ContractState {
  /** The primary identifier of the contract's account, once created. */
  accountId: string;
}

export async function failure(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    return e as ConnectorError;
  }
  throw new Error('expected the operation to fail');
}

export async function expectKind(p: Promise<unknown>, kind: ConnectorErrorKind): Promise<ConnectorError> {
  const e = await failure(p);
  // kind and message together, so a failure shows what the connector said
  expect(`${e.kind}: ${e.message}`).toMatch(new RegExp(`^${kind}: .+`));
  return e;
}

export function expectNoSecret(e: ConnectorError, secrets: readonly string[]): void {
  const shown = `${e.message} ${JSON.stringify(e)} ${String(e)} ${e.stack ?? ''}`;
  for (const secret of secrets) expect(shown).not.toContain(secret);
}

const PAGE = 10;
const users = Array.from({ length: 25 }, (_, i) => `user${String(i).padStart(2, '0')}`);

export function describeConnectorContract(name: string, makeFixture: () => ConnectorFixture, specific: SpecificTests = {}): ContractState {
  const state: ContractState = { accountId: '' };
  let f: ConnectorFixture;
  let c: Connector;
  const values = (v: readonly AttributeValue[] | undefined) => (f.valuesInOrder ? v : [...(v ?? [])].sort());

  describe(`${name}: the connector contract`, () => {
    beforeAll(() => {
      f = makeFixture();
      c = f.connector;
    });

    it('tests the connection and reads the schema', async () => {
      await c.testConnection();
      const schema = await c.schema();
      if (f.schema.complete) {
        expect(schema).toEqual({ objectClass: f.schema.objectClass, attributes: f.schema.attributes });
      } else {
        expect(schema.objectClass).toBe(f.schema.objectClass);
        expect(schema.attributes).toEqual(expect.arrayContaining(f.schema.attributes));
      }
    });

    it('starts the changelog from the beginning when nothing changed yet', async () => {
      if (f.initialToken === null) {
        await expectKind(c.latestToken(), 'configuration');
        await expectKind(c.changesSince('0'), 'configuration');
        return;
      }
      expect(await c.latestToken()).toBe(f.initialToken);
      expect(await c.changesSince(f.initialToken)).toEqual({ changes: [], token: f.initialToken });
    });

    it('creates an account and returns it as stored, with its primary identifier', async () => {
      const created = await c.create(f.nameOf('jack'), f.account.attributes);
      expect(created.primaryIdentifier).toMatch(f.account.primaryIdentifier);
      expect(created.secondaryIdentifier).toBe(f.nameOf('jack'));
      expect(created.objectClass).toBe(f.schema.objectClass);
      expect(created.attributes).toEqual(f.account.stored);
      for (const hidden of f.account.hidden) expect(created.attributes[hidden]).toBeUndefined();
      state.accountId = created.primaryIdentifier;
    });

    it('gets an account by primary and by secondary identifier, whole or some attributes', async () => {
      const byPrimary = await c.get({ primaryIdentifier: state.accountId });
      expect(await c.get({ secondaryIdentifier: f.nameOf('jack') })).toEqual(byPrimary);
      for (const hidden of f.account.hidden) expect(byPrimary.attributes[hidden]).toBeUndefined();
      const some = await c.get({ primaryIdentifier: state.accountId }, f.account.some.names);
      expect(some.attributes).toEqual(f.account.some.attributes);
      expect(some.secondaryIdentifier).toBe(f.nameOf('jack'));
    });

    specific.afterGet?.();

    it('modifies a multi-valued attribute by add, delete and replace; a repeated modify changes nothing', async () => {
      const path = f.multiValued;
      const added = await c.modify(state.accountId, [{ path, add: ['c', 'b'], delete: ['a'] }]);
      expect(values(added.attributes[path])).toEqual(['b', 'c']);
      // Adding a present value and deleting an absent one is a no-op, not an error (retries are safe).
      const again = await c.modify(state.accountId, [{ path, add: ['c', 'b'], delete: ['a'] }]);
      expect(values(again.attributes[path])).toEqual(['b', 'c']);
      const replaced = await c.modify(state.accountId, [{ path, replace: ['x', 'y'] }]);
      expect(values(replaced.attributes[path])).toEqual(['x', 'y']);
    });

    specific.afterModify?.();

    it('renames when the naming attribute changes, and by the __NAME__ path; the primary identifier stays', async () => {
      const renamed = await c.modify(state.accountId, [{ path: f.namingAttribute, replace: ['jack2'] }]);
      expect(renamed.secondaryIdentifier).toBe(f.nameOf('jack2'));
      expect(renamed.primaryIdentifier).toBe(state.accountId);
      expect(renamed.attributes[f.namingAttribute]).toEqual(['jack2']);
      await expectKind(c.get({ secondaryIdentifier: f.nameOf('jack') }), 'not-found');

      const byName = await c.modify(state.accountId, [
        { path: '__NAME__', replace: [f.nameOf('captain')] },
        { path: f.textAttribute, replace: ['Captain Jack'] },
      ]);
      expect(byName.secondaryIdentifier).toBe(f.nameOf('captain'));
      expect(byName.primaryIdentifier).toBe(state.accountId);
      expect(byName.attributes[f.namingAttribute]).toEqual(['captain']);
      expect(byName.attributes[f.textAttribute]).toEqual(['Captain Jack']);
      await expectKind(c.get({ secondaryIdentifier: f.nameOf('jack2') }), 'not-found');
    });

    specific.afterRename?.();

    it('deletes by primary identifier; the changelog shows it if it can', async () => {
      const temp = await c.create(f.nameOf('temp'), f.minimalAttributes('temp'));
      const token = f.initialToken === null ? null : await c.latestToken();
      await c.delete(temp.primaryIdentifier);
      await expectKind(c.get({ primaryIdentifier: temp.primaryIdentifier }), 'not-found');
      if (token === null) return;
      const changes = (await c.changesSince(token)).changes.map((ch) => [ch.changeType, ch.primaryIdentifier]);
      expect(changes).toEqual(f.deletesAreChanges ? [['delete', temp.primaryIdentifier]] : []);
    });

    it('pages through a search, and a cursor outlives its connector', async () => {
      for (const short of users) await c.create(f.nameOf(short), f.minimalAttributes(short));
      const total = await f.countObjects();
      const sizes: number[] = [];
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await c.search({ cursor, pageSize: PAGE, attributesToGet: f.account.some.names });
        sizes.push(page.objects.length);
        seen.push(...page.objects.map((o) => o.secondaryIdentifier));
        cursor = page.cursor;
      } while (cursor);
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect(seen).toEqual(expect.arrayContaining(users.map((u) => f.nameOf(u))));
      const pages = Math.ceil(total / PAGE);
      expect(sizes).toEqual([...Array<number>(pages - 1).fill(PAGE), total - (pages - 1) * PAGE]);

      // e.g. a reconciliation activity retried on another worker
      const first = await c.search({ pageSize: PAGE });
      const other = f.connect();
      const all = first.objects.map((o) => o.secondaryIdentifier);
      let otherPages = 1;
      for (let next = first.cursor; next !== undefined; otherPages++) {
        const page = await other.search({ cursor: next, pageSize: PAGE });
        all.push(...page.objects.map((o) => o.secondaryIdentifier));
        next = page.cursor;
      }
      expect(otherPages).toBe(pages);
      expect(new Set(all).size).toBe(total);
    });

    it('reads and modifies many objects in one request where it can, leaving out those it has not', async () => {
      expect({ get: typeof c.getMany, modify: typeof c.modifyMany }).toEqual({
        get: f.manyAtOnce?.get ? 'function' : 'undefined',
        modify: f.manyAtOnce?.modify ? 'function' : 'undefined',
      });
      const some = await Promise.all(users.slice(0, 3).map((u) => c.get({ secondaryIdentifier: f.nameOf(u) })));
      const ids = some.map((o) => o.primaryIdentifier);
      if (c.getMany) {
        const many = await c.getMany([ids[2], f.unknownPrimaryIdentifier, ids[0], ids[1]]);
        const byId = (objects: typeof some) => [...objects].sort((a, b) => a.primaryIdentifier.localeCompare(b.primaryIdentifier));
        expect(byId(many)).toEqual(byId(some));
      }
      if (c.modifyMany) {
        const modified = await c.modifyMany([
          { primaryIdentifier: ids[0], deltas: [{ path: f.textAttribute, replace: ['First Mate'] }] },
          { primaryIdentifier: f.unknownPrimaryIdentifier, deltas: [{ path: f.textAttribute, replace: ['Nobody'] }] },
          { primaryIdentifier: ids[1], deltas: [{ path: f.textAttribute, replace: ['Second Mate'] }] },
          // Not a whole value: the connector applies it as modify does.
          { primaryIdentifier: ids[2], deltas: [{ path: f.multiValued, add: ['deck'] }] },
        ]);
        expect(modified.map((o) => o && [o.primaryIdentifier, o.attributes[f.textAttribute]])).toEqual([[ids[0], ['First Mate']], null, [ids[1], ['Second Mate']], [ids[2], some[2].attributes[f.textAttribute]]]);
        expect(modified[2]?.secondaryIdentifier).toBe(f.nameOf(users[1]));
        expect((await c.get({ primaryIdentifier: ids[1] })).attributes[f.textAttribute]).toEqual(['Second Mate']);
        expect((await c.get({ primaryIdentifier: ids[2] })).attributes[f.multiValued]).toEqual(expect.arrayContaining(['deck', ...(some[2].attributes[f.multiValued] ?? [])]));
      }
    });

    it('reports already-exists, not-found and schema violations', async () => {
      const duplicate = await expectKind(c.create(f.nameOf('user00'), f.minimalAttributes('user00')), 'already-exists');
      if (f.alreadyExistsCode !== undefined) expect(duplicate.nativeCode).toBe(f.alreadyExistsCode);
      await expectKind(c.get({ primaryIdentifier: f.unknownPrimaryIdentifier }), 'not-found');
      await expectKind(c.get({ secondaryIdentifier: f.nameOf('nobody') }), 'not-found');
      await expectKind(c.modify(f.unknownPrimaryIdentifier, [{ path: f.textAttribute, replace: ['x'] }]), 'not-found');
      await expectKind(c.delete(f.unknownPrimaryIdentifier), 'not-found');
      for (const [short, attributes] of f.violations.create) await expectKind(c.create(f.nameOf(short), attributes), 'schema-violation');
      const user01 = await c.get({ secondaryIdentifier: f.nameOf('user01') });
      for (const deltas of f.violations.modify) await expectKind(c.modify(user01.primaryIdentifier, deltas), 'schema-violation');
    });

    it('reports wrong or missing credentials as configuration errors that never show a password', async () => {
      if (f.credentials) {
        const wrong = f.credentials.wrong();
        const e = await expectKind(wrong.testConnection(), 'configuration');
        expect(e.nativeCode).toBe(f.credentials.wrongCode);
        expectNoSecret(e, f.secrets);
        expectNoSecret(await expectKind(wrong.get({ secondaryIdentifier: f.nameOf('user01') }), 'configuration'), f.secrets);

        const unset = await expectKind(f.credentials.unset().testConnection(), 'configuration');
        expect(unset.message).toContain(f.credentials.unsetVariable);
      }

      for (const secret of f.secrets) {
        expect(JSON.stringify(c)).not.toContain(secret);
        expect(String(c)).not.toContain(secret);
      }
    });

    it('reports a stopped resource as a communication error and works again once it is back', async () => {
      const user02 = await c.get({ secondaryIdentifier: f.nameOf('user02') });
      const cursorBefore = (await c.search({ pageSize: PAGE })).cursor;
      const changelog = f.initialToken !== null;
      const tokenBefore = changelog ? await c.latestToken() : '';
      await f.stopResource();

      const errors = [
        await expectKind(c.get({ primaryIdentifier: user02.primaryIdentifier }), 'communication'),
        await expectKind(c.create(f.nameOf('during-outage'), f.minimalAttributes('during-outage')), 'communication'),
        await expectKind(c.modify(user02.primaryIdentifier, [{ path: f.textAttribute, replace: ['z'] }]), 'communication'),
        await expectKind(c.delete(user02.primaryIdentifier), 'communication'),
        await expectKind(c.search({ cursor: cursorBefore, pageSize: PAGE }), 'communication'),
        ...(changelog ? [await expectKind(c.changesSince(tokenBefore), 'communication'), await expectKind(c.latestToken(), 'communication')] : []),
        await expectKind(c.testConnection(), 'communication'),
        await expectKind(f.connect().testConnection(), 'communication'),
      ];
      errors.forEach((e) => expectNoSecret(e, f.secrets));

      await f.restartResource();
      await c.testConnection();
      const modified = await c.modify(user02.primaryIdentifier, [{ path: f.textAttribute, replace: ['back again'] }]);
      expect(modified.attributes[f.textAttribute]).toEqual(['back again']);
      expect((await c.search({ cursor: cursorBefore, pageSize: PAGE })).objects).toHaveLength(PAGE);
      if (!changelog) return;
      expect((await c.changesSince(tokenBefore)).changes.map((ch) => ch.primaryIdentifier)).toEqual([user02.primaryIdentifier]);
      expect((await c.changesSince(await c.latestToken())).changes).toEqual([]);
    });
  });
  return state;
}
