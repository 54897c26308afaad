/**
 * The LDAP connector: one bound connection for reads and writes, one more per running paged search
 * (OpenLDAP keeps paged-results state per connection), accesslog as the changelog.
 */
import { randomUUID } from 'node:crypto';
import { AndFilter, Attribute, Change, Client, EqualityFilter, FilterParser, type Entry, type Filter } from 'ldapts';
import { durationToMs, type SecretRef } from '../../schema/config';
import type { AttributeDelta, Attributes, ResourceObject } from '../../schema/objects';
import { ConnectorError, isConnectorError } from '../connector-errors';
import type { ChangesPage, Connector, SearchPage } from '../connector-types';
import { resolveSecret } from '../secrets';
import { CSN_PATTERN, pageOfChanges, recordsToChanges, routeToType, type ChangelogEntitlement } from './ldap-changelog';
import { anyEntryUnder, findByIdentifier, isOfType, overlaps, readByDn, searchPages, type LdapDelineation } from './ldap-delineation';
import { parseRdn, splitDn } from './ldap-dn';
import { entryAttribute, entryToResourceObject, entryValues, toLdapStrings } from './ldap-entries';
import { isLdapCommunicationError, mapLdapError } from './ldap-errors';
import {
  applyMembershipDeltas,
  isAssociationOf,
  membershipIndex,
  membershipsFromIndex,
  removeAllMemberships,
  renameMember,
  subjectValue,
  valueAttributesToRead,
  groupsWithMember,
  isDnValue,
  type LdapAssociation,
} from './ldap-associations';
import { planModify, type CurrentValues } from './ldap-modify';
import { attributesAllowed, attributesOfClasses } from './ldap-schema';
import { readSubschema } from './ldap-subschema';
import { LDAP_INITIAL_TOKEN, OPERATIONAL_ATTRIBUTES, type AccesslogRecord, type LdapConnectorConfig } from './ldap-types';
import { hashPasswordAttributes, hashPasswordDeltas } from './ldap-passwords';

type SecretResolver = (ref: SecretRef) => string;

/** A paged search in progress: resumable by offset if its connection was lost or the connector restarted. */
interface SearchSession {
  client: Client;
  pages: AsyncGenerator<{ searchEntries: Entry[] }>;
  buffer: Entry[];
  /** Entries handed out so far. */
  offset: number;
  done: boolean;
  lastUsed: number;
}

interface SearchCursor {
  id: string;
  offset: number;
}

const MAX_SEARCH_SESSIONS = 8;
/** A search nobody asked for the next page of in this long is abandoned: its connection is closed. */
const SEARCH_SESSION_IDLE_MS = 10 * 60_000;

/**
 * The connector reads and writes the account type, delineated by `config.baseContext` and `config.searchFilter`.
 * @param associations the account type's associations (see ldap-object-types): memberships are read
 *   into and written from their pseudo-attributes (`association/group`).
 * @param entitlements the resource's other object types: a change of one of their entries under the
 *   accounts' base context is not an account's change.
 */
export function createLdapConnector(
  config: LdapConnectorConfig,
  resolve: SecretResolver = resolveSecret,
  associations: readonly LdapAssociation[] = [],
  entitlements: readonly LdapDelineation[] = [],
): Connector {
  const timeoutMs = durationToMs(config.timeout);
  const accounts: LdapDelineation = { base: config.baseContext, filter: config.searchFilter };
  const structuralClass = config.objectClasses[config.objectClasses.length - 1] ?? 'top';
  const readAttributes = (attributesToGet?: string[]) => [
    ...(attributesToGet?.filter((a) => !isAssociationOf(associations, a)) ?? ['*']),
    ...(attributesToGet && associations.length > 0 ? valueAttributesToRead(associations) : []),
    config.primaryIdentifier,
    'structuralObjectClass',
  ];
  /** Associations asked for: all when no attributes are named, else those named. */
  const wantedAssociations = (attributesToGet?: string[]) =>
    attributesToGet === undefined ? associations : associations.filter((a) => attributesToGet.some((n) => n.toLowerCase() === a.attribute.toLowerCase()));
  /** Kept only to scrub it from error messages; never logged or returned. */
  let password: string | undefined;
  let main: Promise<Client> | undefined;
  const sessions = new Map<string, SearchSession>();

  const fail = (e: unknown, context: string) => mapLdapError(e, context, [password]);

  async function openBoundClient(): Promise<Client> {
    password = resolve(config.bindPassword);
    // autoRebind: a connection silently re-established after a server restart is bound again, not anonymous.
    const client = new Client({ url: config.url, timeout: timeoutMs, connectTimeout: timeoutMs, autoRebind: true });
    try {
      await client.bind(config.bindDn, password);
      return client;
    } catch (e) {
      await client.unbind().catch(() => undefined);
      throw e;
    }
  }

  function discardMain(): void {
    const p = main;
    main = undefined;
    void p?.then((c) => c.unbind()).catch(() => undefined);
  }

  async function withClient<T>(context: string, fn: (c: Client) => Promise<T>): Promise<T> {
    try {
      main ??= openBoundClient();
      let client: Client;
      try {
        client = await main;
      } catch (e) {
        main = undefined;
        throw e;
      }
      return await withDeadline(fn(client), 2 * timeoutMs, context);
    } catch (e) {
      if (isLdapCommunicationError(e) || (isConnectorError(e) && e.kind === 'communication')) discardMain();
      throw fail(e, context);
    }
  }

  /**
   * ldapts can leave an operation waiting forever on a connection the server dropped (seen with slapd
   * stopped while several operations were in flight): past the deadline it is a communication failure.
   */
  function withDeadline<T>(work: Promise<T>, ms: number, context: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectorError('communication', `${context}: no answer from ${config.url} within ${ms} ms`)), ms);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  function equality(attribute: string, value: string): Filter {
    return new EqualityFilter({ attribute, value });
  }

  const findByPrimary = (c: Client, primaryIdentifier: string, attributes: string[]) =>
    findByIdentifier(c, accounts, config.primaryIdentifier, primaryIdentifier, attributes);

  const toObject = (entry: Entry, requested?: string[]): ResourceObject =>
    entryToResourceObject(entry, { primaryIdentifier: config.primaryIdentifier, defaultObjectClass: structuralClass, requested });

  /** The entry as a resource object with its memberships (one search per association). */
  async function toObjectWithAssociations(c: Client, entry: Entry, requested?: string[]): Promise<ResourceObject> {
    const object = toObject(entry, requested);
    for (const a of wantedAssociations(requested)) {
      const value = subjectValue(a, entry);
      const groups = value === undefined ? [] : await groupsWithMember(c, a, value);
      if (groups.length > 0) object.attributes[a.attribute] = groups;
    }
    return object;
  }

  /** Memberships of a page of entries, from one read of each association's groups. */
  async function pageWithAssociations(entries: Entry[], requested?: string[]): Promise<ResourceObject[]> {
    const objects = entries.map((e) => toObject(e, requested));
    const wanted = wantedAssociations(requested);
    if (wanted.length === 0 || entries.length === 0) return objects;
    await withClient('read group memberships', async (c) => {
      for (const a of wanted) {
        const index = await membershipIndex(c, a);
        entries.forEach((entry, i) => {
          const groups = membershipsFromIndex(a, index, subjectValue(a, entry));
          if (groups.length > 0) objects[i].attributes[a.attribute] = groups;
        });
      }
    });
    return objects;
  }

  function currentValues(entry: Entry): CurrentValues {
    const map: CurrentValues = new Map();
    for (const key of Object.keys(entry)) if (key !== 'dn') map.set(key.toLowerCase(), entryValues(entry[key]));
    return map;
  }

  function entryAttributes(dn: string, attributes: Attributes): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [name, values] of Object.entries(attributes)) {
      const lower = name.toLowerCase();
      if (lower === config.primaryIdentifier.toLowerCase() || OPERATIONAL_ATTRIBUTES.has(lower)) continue;
      if (values.length > 0) out[name] = toLdapStrings(values);
    }
    if (!Object.keys(out).some((k) => k.toLowerCase() === 'objectclass')) out.objectClass = [...config.objectClasses];
    // The naming value must be among the entry's values; add it rather than fail with a naming violation.
    const rdn = parseRdn(splitDn(dn)[0]);
    const key = Object.keys(out).find((k) => k.toLowerCase() === rdn.attribute.toLowerCase());
    if (key === undefined) out[rdn.attribute] = [rdn.value];
    else if (!out[key].some((v) => v.toLowerCase() === rdn.value.toLowerCase())) out[key] = [rdn.value, ...out[key]];
    return out;
  }

  // ---- paged search ------------------------------------------------------------------------

  function encodeCursor(c: SearchCursor): string {
    return Buffer.from(JSON.stringify(c)).toString('base64url');
  }

  function decodeCursor(cursor: string): SearchCursor {
    try {
      const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as SearchCursor;
      if (typeof c.id === 'string' && Number.isInteger(c.offset) && c.offset >= 0) return c;
    } catch {
      // fall through
    }
    throw new ConnectorError('configuration', 'invalid search cursor');
  }

  function closeSession(id: string): void {
    const s = sessions.get(id);
    sessions.delete(id);
    if (s) void s.client.unbind().catch(() => undefined);
  }

  async function openSession(id: string, pageSize: number, attributes: string[]): Promise<SearchSession> {
    const now = Date.now();
    for (const [other, s] of sessions) if (now - s.lastUsed > SEARCH_SESSION_IDLE_MS) closeSession(other);
    while (sessions.size >= MAX_SEARCH_SESSIONS) {
      const oldest = [...sessions.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      closeSession(oldest[0]);
    }
    const client = await openBoundClient();
    const pages = searchPages(client, accounts, attributes, pageSize);
    const session: SearchSession = { client, pages, buffer: [], offset: 0, done: false, lastUsed: Date.now() };
    sessions.set(id, session);
    return session;
  }

  /** Pulls server pages until more than `count` entries are buffered or the search is done. */
  async function fill(s: SearchSession, count: number): Promise<void> {
    while (!s.done && s.buffer.length <= count) {
      const next = await s.pages.next();
      if (next.done) s.done = true;
      else s.buffer.push(...next.value.searchEntries);
    }
  }

  async function search(options: { cursor?: string; pageSize?: number; attributesToGet?: string[] }): Promise<SearchPage> {
    const pageSize = options.pageSize ?? config.pageSize;
    const attributes = readAttributes(options.attributesToGet);
    const cursor = options.cursor ? decodeCursor(options.cursor) : { id: randomUUID(), offset: 0 };
    try {
      let s = sessions.get(cursor.id);
      if (!s || s.offset !== cursor.offset) {
        // Lost (restart, eviction, connection error) or replayed: search again and skip what was handed out.
        if (s) closeSession(cursor.id);
        s = await openSession(cursor.id, pageSize, attributes);
        await fill(s, cursor.offset);
        s.buffer.splice(0, cursor.offset);
        s.offset = cursor.offset;
      }
      s.lastUsed = Date.now();
      await fill(s, pageSize);
      const entries = s.buffer.splice(0, pageSize);
      s.offset += entries.length;
      const more = !s.done || s.buffer.length > 0;
      if (!more) closeSession(cursor.id);
      return {
        objects: await pageWithAssociations(entries, options.attributesToGet),
        cursor: more ? encodeCursor({ id: cursor.id, offset: s.offset }) : undefined,
      };
    } catch (e) {
      closeSession(cursor.id);
      throw fail(e, `search ${config.baseContext}`);
    }
  }

  // ---- changelog ---------------------------------------------------------------------------

  /** Groups listing members by DN: their member changes are changes of the accounts (memberUid groups are not). */
  const changelogEntitlements: ChangelogEntitlement[] = associations
    .filter(isDnValue)
    .map((a) => ({ baseContext: a.base, memberAttribute: a.memberAttribute, association: a.attribute }));

  /** Entitlement types whose entries may be under the accounts' base: their changes there are told apart by reading the entry. */
  const sharedBases = entitlements.filter((e) => overlaps(e, accounts));

  function changelogBase(): string {
    if (!config.changelog) {
      throw new ConnectorError('configuration', `resource ${config.url} has no changelog configured (changelog: { type: accesslog })`);
    }
    return config.changelog.base;
  }

  async function readAccesslog(c: Client, filter: Filter, attributes: string[]): Promise<Entry[]> {
    const entries: Entry[] = [];
    for await (const page of c.searchPaginated(changelogBase(), { scope: 'one', filter, attributes, paged: { pageSize: 1000 } })) {
      entries.push(...page.searchEntries);
    }
    return entries;
  }

  function toRecord(e: Entry): AccesslogRecord {
    const one = (name: string) => entryAttribute(e, name)[0];
    return {
      dn: e.dn,
      entryCSN: one('entryCSN') ?? '',
      reqType: one('reqType') ?? '',
      reqDN: one('reqDN') ?? '',
      reqEntryUUID: one('reqEntryUUID'),
      reqMod: entryAttribute(e, 'reqMod'),
      reqNewRDN: one('reqNewRDN'),
      reqDeleteOldRDN: one('reqDeleteOldRDN'),
      reqNewSuperior: one('reqNewSuperior'),
      reqNewDN: one('reqNewDN'),
      reqAuthzID: one('reqAuthzID'),
    };
  }

  function validToken(token: string): string {
    if (token !== LDAP_INITIAL_TOKEN && !CSN_PATTERN.test(token)) {
      throw new ConnectorError('configuration', `not an LDAP changelog token (entryCSN): ${token}`);
    }
    return token;
  }

  async function changesSince(token: string, limit?: number): Promise<ChangesPage> {
    validToken(token);
    const filters: Filter[] = [equality('objectClass', 'auditWriteObject'), equality('reqResult', '0')];
    // The token's own record comes back too: when it is gone, the changelog was purged past it.
    if (token !== LDAP_INITIAL_TOKEN) filters.push(FilterParser.parseString(`(entryCSN>=${token})`));
    return withClient(`changes since ${token}`, async (c) => {
      const entries = await readAccesslog(c, new AndFilter({ filters }), [
        'entryCSN',
        'reqType',
        'reqDN',
        'reqEntryUUID',
        'reqMod',
        'reqNewRDN',
        'reqDeleteOldRDN',
        'reqNewSuperior',
        'reqNewDN',
        'reqAuthzID',
      ]);
      const read = entries.map(toRecord).filter((r) => r.entryCSN !== '');
      if (token !== LDAP_INITIAL_TOKEN && !read.some((r) => r.entryCSN === token)) {
        return { changes: [], token: read.map((r) => r.entryCSN).sort().pop() ?? (await latestToken()), expired: true };
      }
      const records = read.filter((r) => r.entryCSN !== token);
      const all = recordsToChanges(records, {
        baseContext: config.baseContext,
        entryUuidIsPrimary: config.primaryIdentifier.toLowerCase() === 'entryuuid',
        ignoreModifiers: config.changelog?.ignoreModifiers ?? [config.bindDn],
        entitlements: changelogEntitlements,
      });
      // The position advances over records outside the base context too, so they are not read again.
      const sortedCsns = records.map((r) => r.entryCSN).sort();
      // A bounded page by default: the result travels in a workflow history.
      const changes = pageOfChanges(all, limit ?? config.pageSize);
      const routed = await routeToType(changes, sharedBases, (dn) => isOfType(c, accounts, dn));
      if (changes.length === all.length) {
        return { changes: routed, token: sortedCsns[sortedCsns.length - 1] ?? token };
      }
      return { changes: routed, token: changes[changes.length - 1].token };
    });
  }

  async function latestToken(): Promise<string> {
    return withClient('latest changelog token', async (c) => {
      const entries = await readAccesslog(c, equality('objectClass', 'auditWriteObject'), ['entryCSN']);
      let max = LDAP_INITIAL_TOKEN;
      for (const e of entries) {
        const csn = entryAttribute(e, 'entryCSN')[0];
        if (csn !== undefined && (max === LDAP_INITIAL_TOKEN || csn > max)) max = csn;
      }
      return max;
    });
  }

  // ---- the interface -------------------------------------------------------------------------

  const connector: Connector & { toString(): string; toJSON(): object } = {
    async testConnection() {
      await withClient(`test connection to ${config.url}`, async (c) => {
        try {
          await readByDn(c, anyEntryUnder(config.baseContext), config.baseContext, ['1.1']);
        } catch (e) {
          if (e instanceof ConnectorError && e.kind === 'not-found') {
            throw new ConnectorError('configuration', `base context ${config.baseContext} does not exist`);
          }
          throw e;
        }
      });
    },

    async schema() {
      return withClient('read schema', async (c) => ({
        objectClass: structuralClass,
        attributes: attributesOfClasses((await readSubschema(c)).objectClasses, config.objectClasses),
      }));
    },

    async attributesOf(objectClasses) {
      return withClient('read schema', async (c) => attributesAllowed(await readSubschema(c), objectClasses));
    },

    async get(identifiers, attributesToGet) {
      const { primaryIdentifier, secondaryIdentifier } = identifiers;
      if (primaryIdentifier === undefined && secondaryIdentifier === undefined) {
        throw new ConnectorError('configuration', 'get needs a primary or a secondary identifier');
      }
      const attributes = readAttributes(attributesToGet);
      return withClient(`get ${primaryIdentifier ?? secondaryIdentifier}`, async (c) => {
        const entry =
          primaryIdentifier !== undefined
            ? await findByPrimary(c, primaryIdentifier, attributes)
            : await readByDn(c, accounts, secondaryIdentifier!, attributes);
        return toObjectWithAssociations(c, entry, attributesToGet);
      });
    },

    async nameTaken(dn) {
      return withClient(`read ${dn}`, async (c) => {
        try {
          await readByDn(c, anyEntryUnder(config.baseContext), dn, ['1.1']);
          return true;
        } catch (e) {
          if (e instanceof ConnectorError && e.kind === 'not-found') return false;
          throw e;
        }
      });
    },

    search,

    async create(dn, attributes) {
      const own = Object.fromEntries(Object.entries(attributes).filter(([name]) => !isAssociationOf(associations, name)));
      const record = entryAttributes(dn, hashPasswordAttributes(own));
      return withClient(`create ${dn}`, async (c) => {
        try {
          await c.add(dn, record);
        } catch (e) {
          const mapped = fail(e, `create ${dn}`);
          // noSuchObject on add means the parent container is missing, not the object.
          if (mapped.kind === 'not-found') throw new ConnectorError('configuration', `create ${dn}: parent entry does not exist`, 32);
          throw mapped;
        }
        const created = await readByDn(c, anyEntryUnder(config.baseContext), dn, readAttributes());
        for (const a of associations) {
          const groups = Object.entries(attributes).find(([name]) => isAssociationOf([a], name))?.[1] ?? [];
          const value = subjectValue(a, created);
          if (groups.length > 0 && value !== undefined) await applyMembershipDeltas(c, a, value, [{ path: a.attribute, add: groups }]);
        }
        return toObjectWithAssociations(c, created);
      });
    },

    async modify(primaryIdentifier, deltas: AttributeDelta[]) {
      return withClient(`modify ${primaryIdentifier}`, async (c) => {
        const entry = await findByPrimary(c, primaryIdentifier, readAttributes());
        const membershipDeltas = deltas.filter((d) => isAssociationOf(associations, d.path));
        const plan = planModify(entry.dn, currentValues(entry), hashPasswordDeltas(deltas.filter((d) => !isAssociationOf(associations, d.path))));
        let dn = entry.dn;
        if (plan.newDn !== undefined) {
          await c.modifyDN(dn, plan.newDn);
          dn = plan.newDn;
        }
        if (plan.changes.length > 0) {
          await c.modify(
            dn,
            plan.changes.map(
              (ch) => new Change({ operation: ch.operation, modification: new Attribute({ type: ch.attribute, values: ch.values }) }),
            ),
          );
        }
        const after = await readByDn(c, anyEntryUnder(config.baseContext), dn, readAttributes());
        for (const a of associations) {
          const before = subjectValue(a, entry);
          const now = subjectValue(a, after);
          // Without the refint overlay the groups still list the old DN: Tally moves the memberships.
          if (a.referentialIntegrity && before !== undefined && now !== undefined && before !== now) await renameMember(c, a, before, now);
          const own = membershipDeltas.filter((d) => isAssociationOf([a], d.path));
          if (own.length > 0 && now !== undefined) await applyMembershipDeltas(c, a, now, own);
        }
        return toObjectWithAssociations(c, after);
      });
    },

    async delete(primaryIdentifier) {
      await withClient(`delete ${primaryIdentifier}`, async (c) => {
        const cleaned = associations.filter((a) => a.referentialIntegrity);
        const entry = await findByPrimary(c, primaryIdentifier, cleaned.length > 0 ? ['1.1', ...valueAttributesToRead(cleaned)] : ['1.1']);
        // The groups first: a retried delete after a crash in between finds the entry and cleans again.
        for (const a of cleaned) {
          const value = subjectValue(a, entry);
          if (value !== undefined) await removeAllMemberships(c, a, value);
        }
        await c.del(entry.dn);
      });
    },

    latestToken,
    changesSince,

    async close() {
      for (const id of [...sessions.keys()]) closeSession(id);
      const p = main;
      main = undefined;
      if (p) await p.then((c) => c.unbind()).catch(() => undefined);
    },

    toString: () => `LdapConnector(${config.url}, ${config.bindDn})`,
    toJSON: () => ({ type: 'ldap', url: config.url, bindDn: config.bindDn, baseContext: config.baseContext }),
  };
  return connector;
}
