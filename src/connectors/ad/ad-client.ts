/**
 * An ldapts client that speaks Active Directory's encodings, so the LDAP connector's reading and writing
 * work on AD unchanged: objectGUID and objectSid read as strings and searched by their GUID string;
 * AD's bookkeeping attributes left out of whole-entry reads; `member` read in value ranges; `__ENABLE__`
 * read from and written to the ACCOUNTDISABLE bit of userAccountControl alone; unicodePwd encoded, and
 * sent only over LDAPS or StartTLS unless the resource allows plain LDAP; each write's uSNChanged
 * remembered as Tally's own.
 */
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { AndFilter, Attribute, Change, Client, Control, EqualityFilter, FilterParser, NotFilter, OrFilter, type ClientOptions, type DN, type Entry, type Filter, type SearchOptions, type SearchResult } from 'ldapts';
import { ConnectorError } from '../connector-errors';
import { parentDn } from '../ldap/ldap-dn';
import type { AdOwnWrites } from './ad-own-writes';
import { domainOf, ENABLE_ATTRIBUTE, guidToBytes, guidToString, isDisabled, NORMAL_ACCOUNT, parseEnabled, SHOW_DELETED_CONTROL, sidToString, unicodePwdValue, withEnabled } from './ad-values';

export interface AdClientOptions {
  /** Whether unicodePwd may go over plain ldap:// (test servers). */
  allowPlainPasswords: boolean;
  /** StartTLS on an ldap:// URL before the bind, with these TLS options; none: no StartTLS. */
  startTls?: ConnectionOptions;
  /** Where each write's uSNChanged is remembered, for live sync to recognise Tally's own writes. */
  ownWrites?: AdOwnWrites;
}

const BINARY_IDENTIFIERS: Record<string, (b: Buffer) => string> = { objectguid: guidToString, objectsid: sidToString };
const PASSWORD = 'unicodepwd';
const UAC = 'useraccountcontrol';
/** Values of `member` asked for at once: AD's MaxValRange, so that AD and Samba alike give the rest range by range. */
const MEMBER_RANGE = 1500;
const MEMBER = 'member';

/** What AD maintains for its own bookkeeping: read only when asked for by name. Lower-cased. */
const BOOKKEEPING = new Set(
  [
    'distinguishedName',
    'name',
    'instanceType',
    'whenCreated',
    'whenChanged',
    'uSNCreated',
    'uSNChanged',
    'objectSid',
    'objectCategory',
    'sAMAccountType',
    'primaryGroupID',
    'badPwdCount',
    'badPasswordTime',
    'lastLogon',
    'lastLogoff',
    'lastLogonTimestamp',
    'logonCount',
    'pwdLastSet',
    'codePage',
    'countryCode',
    'dSCorePropagationData',
    'isCriticalSystemObject',
    'replPropertyMetaData',
    'memberOf',
  ].map((a) => a.toLowerCase()),
);

const lower = (s: string) => s.toLowerCase();
const asBuffers = (v: Entry[string]): Buffer[] => (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x)));
const asStrings = (v: Entry[string]): string[] => (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x));

/** `member;range=0-1499` -> member and 1499; `member;range=1500-*` (the last range) -> member and no end. */
function valueRange(key: string): { attribute: string; end: number | undefined } | undefined {
  const match = /^(.+);range=\d+-(\d+|\*)$/i.exec(key);
  return match ? { attribute: match[1], end: match[2] === '*' ? undefined : Number(match[2]) } : undefined;
}

/** An equality on objectGUID compares bytes: its GUID string becomes them. */
function binaryGuidFilter(filter: Filter): Filter {
  if (filter instanceof EqualityFilter && lower(filter.attribute) === 'objectguid' && typeof filter.value === 'string') {
    const bytes = guidToBytes(filter.value);
    return bytes ? new EqualityFilter({ attribute: filter.attribute, value: bytes }) : filter;
  }
  if (filter instanceof AndFilter) return new AndFilter({ filters: filter.filters.map(binaryGuidFilter) });
  if (filter instanceof OrFilter) return new OrFilter({ filters: filter.filters.map(binaryGuidFilter) });
  if (filter instanceof NotFilter) return new NotFilter({ filter: binaryGuidFilter(filter.filter) });
  return filter;
}

/** The attributes to ask AD for: `__ENABLE__` is userAccountControl, and `member` (by name or in `*`) comes in ranges. */
function adAttributes(attributes: readonly string[]): string[] {
  const out = attributes.filter((a) => lower(a) !== MEMBER).map((a) => (a === ENABLE_ATTRIBUTE ? 'userAccountControl' : a));
  return out.length < attributes.length || attributes.includes('*') ? [...out, `${MEMBER};range=0-${MEMBER_RANGE - 1}`] : out;
}

function adSearchOptions(options: SearchOptions): SearchOptions {
  const filter = typeof options.filter === 'string' && /objectguid/i.test(options.filter) ? FilterParser.parseString(options.filter) : options.filter;
  return {
    ...options,
    ...(filter !== undefined ? { filter: typeof filter === 'string' ? filter : binaryGuidFilter(filter) } : {}),
    ...(options.attributes ? { attributes: adAttributes(options.attributes) } : {}),
    explicitBufferAttributes: [...(options.explicitBufferAttributes ?? []), 'objectGUID', 'objectSid'],
  };
}

/** The entry as the LDAP connector reads it. */
function readableEntry(entry: Entry, requested: readonly string[] = []): Entry {
  const asked = new Set(requested.map(lower));
  const out: Entry = { dn: entry.dn };
  for (const [key, value] of Object.entries(entry)) {
    const name = lower(key);
    if (key === 'dn' || (BOOKKEEPING.has(name) && !asked.has(name))) continue;
    const binary = BINARY_IDENTIFIERS[name];
    out[key] = binary ? asBuffers(value).map(binary) : value;
    // AD lists the structural class with its superclasses, most specific last.
    if (name === 'structuralobjectclass') out[key] = asStrings(value).slice(-1);
    if (name === UAC) out[ENABLE_ATTRIBUTE] = isDisabled(Number(asStrings(value)[0])) ? 'FALSE' : 'TRUE';
  }
  return out;
}

function requireEnabled(value: string): boolean {
  const enabled = parseEnabled(value);
  if (enabled === undefined) throw new ConnectorError('schema-violation', `${ENABLE_ATTRIBUTE} takes TRUE or FALSE, not ${value}`);
  return enabled;
}

export class AdClient extends Client {
  private readonly overTls: boolean;
  private startedTls = false;
  /** The StartTLS session's socket closed: ldapts would reconnect in plain LDAP and not bind again. */
  private tlsEnded = false;

  constructor(
    options: ClientOptions,
    private readonly ad: AdClientOptions,
  ) {
    super(options);
    this.overTls = options.url.toLowerCase().startsWith('ldaps://') || ad.startTls !== undefined;
  }

  override async bind(dn: DN | string, password?: string, controls?: Control | Control[]): Promise<void> {
    if (this.ad.startTls !== undefined && !this.startedTls) {
      await this.startTLS({ ...this.ad.startTls });
      this.startedTls = true;
      (this as unknown as { socket: Socket }).socket.once('close', () => (this.tlsEnded = true));
    }
    return super.bind(dn, password, controls);
  }

  /** Every operation of a StartTLS client goes over its encrypted session, or not at all. */
  private requireSession(): void {
    // "Connection closed": a communication failure, so the connection opens a new client.
    if (this.tlsEnded) throw new Error('Connection closed: the StartTLS session ended');
  }

  override async search(baseDN: DN | string, options: SearchOptions = {}, controls?: Control | Control[]): Promise<SearchResult> {
    this.requireSession();
    const result = await super.search(baseDN, adSearchOptions(options), controls);
    return { ...result, searchEntries: await this.readable(result.searchEntries, options.attributes) };
  }

  override async *searchPaginated(baseDN: DN | string, options: SearchOptions = {}, controls?: Control | Control[]): AsyncGenerator<SearchResult> {
    this.requireSession();
    for await (const page of super.searchPaginated(baseDN, adSearchOptions(options), controls)) {
      yield { ...page, searchEntries: await this.readable(page.searchEntries, options.attributes) };
    }
  }

  private async readable(entries: Entry[], requested?: readonly string[]): Promise<Entry[]> {
    const whole = [];
    for (const e of entries) whole.push(await this.withAllValues(e));
    return whole.map((e) => readableEntry(e, requested));
  }

  /**
   * AD gives at most MaxValRange (1,500) values of an attribute at once, as `member;range=0-1499`: the rest
   * is read range after range, and the values come back under the attribute's own name.
   */
  private async withAllValues(entry: Entry): Promise<Entry> {
    const ranged = Object.keys(entry).filter((key) => valueRange(key) !== undefined);
    if (ranged.length === 0) return entry;
    const out: Entry = { ...entry };
    for (const key of ranged) {
      const { attribute, end } = valueRange(key)!;
      const values = [...asStrings(entry[key])];
      for (let next = end; next !== undefined; ) {
        const read = await super.search(entry.dn, { scope: 'base', attributes: [`${attribute};range=${next + 1}-*`] });
        const found = Object.entries(read.searchEntries[0] ?? {}).find(([k]) => valueRange(k)?.attribute.toLowerCase() === attribute.toLowerCase());
        if (!found) break;
        values.push(...asStrings(found[1]));
        next = valueRange(found[0])!.end;
      }
      delete out[key];
      out[attribute] = values;
    }
    return out;
  }

  override async add(dn: DN | string, attributes: Attribute[] | Record<string, string[] | string>, controls?: Control | Control[]): Promise<void> {
    this.requireSession();
    const given = Array.isArray(attributes)
      ? attributes.map((a) => [a.type, a.values.map(String)] as const)
      : Object.entries(attributes).map(([type, v]) => [type, Array.isArray(v) ? v : [v]] as const);
    const enable = given.find(([type]) => type === ENABLE_ATTRIBUTE)?.[1][0];
    const uac = given.find(([type]) => lower(type) === UAC)?.[1][0];
    const out: Attribute[] = [];
    for (const [type, values] of given) {
      if (type === ENABLE_ATTRIBUTE || lower(type) === UAC) continue;
      out.push(lower(type) === PASSWORD ? this.passwordAttribute(type, values) : new Attribute({ type, values: [...values] }));
    }
    if (enable !== undefined || uac !== undefined) {
      const base = uac !== undefined ? Number(uac) : NORMAL_ACCOUNT;
      out.push(new Attribute({ type: 'userAccountControl', values: [String(enable !== undefined ? withEnabled(base, requireEnabled(enable)) : base)] }));
    }
    await super.add(dn, out, controls);
    await this.noteOwnWrite(String(dn));
  }

  override async modify(dn: DN | string, changes: Change | Change[], controls?: Control | Control[]): Promise<void> {
    this.requireSession();
    const out: Change[] = [];
    for (const change of Array.isArray(changes) ? changes : [changes]) {
      const { type, values } = change.modification;
      if (lower(type) === PASSWORD) {
        // An administrator's reset is a replace (a user's own change would be delete old, add new).
        if (values.length > 0) out.push(new Change({ operation: 'replace', modification: this.passwordAttribute(type, values.map(String)) }));
      } else if (type === ENABLE_ATTRIBUTE) {
        if (change.operation === 'delete' || values.length === 0) continue;
        const current = await super.search(dn, { scope: 'base', attributes: ['userAccountControl'] });
        const uac = Number(asStrings(current.searchEntries[0]?.userAccountControl ?? String(NORMAL_ACCOUNT))[0]);
        const next = withEnabled(uac, requireEnabled(String(values[0])));
        if (next !== uac) out.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(next)] }) }));
      } else {
        out.push(change);
      }
    }
    if (out.length === 0) return;
    await super.modify(dn, out, controls);
    await this.noteOwnWrite(String(dn));
  }

  override async modifyDN(dn: DN | string, newDN: DN | string, controls?: Control | Control[]): Promise<void> {
    this.requireSession();
    await super.modifyDN(dn, newDN, controls);
    // ldapts takes a new DN with a comma as RDN and new superior, one without as the RDN alone.
    const to = String(newDN);
    await this.noteOwnWrite(/[^\\],/.test(to) ? to : `${to},${parentDn(String(dn))}`);
  }

  override async del(dn: DN | string, controls?: Control | Control[]): Promise<void> {
    this.requireSession();
    const guid = this.ad.ownWrites ? await this.guidOf(String(dn)) : undefined;
    await super.del(dn, controls);
    if (guid !== undefined) await this.noteOwnDelete(String(dn), guid);
  }

  private async guidOf(dn: string): Promise<string | undefined> {
    const read = await super.search(dn, { scope: 'base', attributes: ['objectGUID'], explicitBufferAttributes: ['objectGUID'] }).catch(() => undefined);
    const value = read?.searchEntries[0]?.objectGUID;
    return value === undefined ? undefined : guidToString(asBuffers(value)[0]);
  }

  /** The object's uSNChanged after Tally's write, remembered as Tally's own. */
  private async noteOwnWrite(dn: string): Promise<void> {
    const ownWrites = this.ad.ownWrites;
    if (!ownWrites) return;
    try {
      const [entry] = (await super.search(dn, { scope: 'base', attributes: ['objectGUID', 'uSNChanged'], explicitBufferAttributes: ['objectGUID'] })).searchEntries;
      if (entry?.objectGUID !== undefined) ownWrites.record(guidToString(asBuffers(entry.objectGUID)[0]), Number(asStrings(entry.uSNChanged)[0]));
    } catch {
      // The write is done; unremembered, it comes back to live sync as a change that finds nothing to do.
    }
  }

  /** The tombstone's uSNChanged after Tally's delete. */
  private async noteOwnDelete(dn: string, guid: string): Promise<void> {
    const ownWrites = this.ad.ownWrites;
    const bytes = guidToBytes(guid);
    if (!ownWrites || !bytes) return;
    try {
      const showDeleted = new Control(SHOW_DELETED_CONTROL, { critical: true });
      const filter = new EqualityFilter({ attribute: 'objectGUID', value: bytes });
      const [tombstone] = (await super.search(domainOf(dn), { scope: 'sub', filter, attributes: ['uSNChanged'] }, showDeleted)).searchEntries;
      if (tombstone !== undefined) ownWrites.record(guid, Number(asStrings(tombstone.uSNChanged)[0]));
    } catch {
      // As for a write: the delete is done.
    }
  }

  private passwordAttribute(type: string, values: readonly string[]): Attribute {
    if (!this.overTls && !this.ad.allowPlainPasswords) {
      throw new ConnectorError(
        'configuration',
        `${type} is sent only over LDAPS: use an ldaps:// URL (a test server may set allowPlainPasswords: true)`,
      );
    }
    return new Attribute({ type: 'unicodePwd', values: values.map(unicodePwdValue) });
  }
}
