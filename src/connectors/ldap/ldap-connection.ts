/**
 * The LDAP connector's connection: one bound client for reads and writes, opened on first use and
 * opened again after a communication failure, and the context every part of the connector is given.
 */
import { Client, type ClientOptions } from 'ldapts';
import { durationToMs, type SecretRef } from '../../schema/config';
import { ConnectorError, isConnectorError } from '../connector-errors';
import type { LdapAssociation } from './ldap-associations';
import { anyEntryUnder, readByDn, type LdapDelineation } from './ldap-delineation';
import { isLdapCommunicationError, mapLdapError } from './ldap-errors';
import type { LdapSearchSessions } from './ldap-search-sessions';
import type { LdapConnectorConfig } from './ldap-types';

export type SecretResolver = (ref: SecretRef) => string;

/** What the connector's reading, writing and change reading share. */
export interface LdapContext {
  config: LdapConnectorConfig;
  connection: LdapConnection;
  searches: LdapSearchSessions;
  /** The account type's delineation: `config.baseContext` and `config.searchFilter`. */
  accounts: LdapDelineation;
  /** The object class of new entries and of objects read without one. */
  structuralClass: string;
  /** The account type's associations: memberships read into and written from their pseudo-attributes. */
  associations: readonly LdapAssociation[];
  /** The resource's other object types: a change of their entries under the accounts' base is not an account's. */
  entitlements: readonly LdapDelineation[];
}

export class LdapConnection {
  readonly timeoutMs: number;
  /** Kept only to scrub it from error messages; never logged or returned. */
  private password: string | undefined;
  private main: Promise<Client> | undefined;
  /** The paged search running on the shared client, which the next one waits for. */
  private pagedSearches: Promise<unknown> = Promise.resolve();

  /**
   * `newClient`: how a client is made, and `mapError` how its errors are told (a directory with its own
   * encodings and error texts, such as Active Directory, gives its own).
   */
  constructor(
    private readonly config: LdapConnectorConfig,
    private readonly resolve: SecretResolver,
    private readonly newClient: (options: ClientOptions) => Client = (options) => new Client(options),
    private readonly mapError: typeof mapLdapError = mapLdapError,
  ) {
    this.timeoutMs = durationToMs(config.timeout);
  }

  /** The native error as a ConnectorError, the password scrubbed from its message. */
  fail(e: unknown, context: string): ConnectorError {
    return this.mapError(e, context, [this.password]);
  }

  /** A new client, bound as the configured DN: a paged search holds one of its own. */
  async openBoundClient(): Promise<Client> {
    this.password = this.resolve(this.config.bindPassword);
    // autoRebind: a connection silently re-established after a server restart is bound again, not anonymous.
    const client = this.newClient({ url: this.config.url, timeout: this.timeoutMs, connectTimeout: this.timeoutMs, autoRebind: true });
    try {
      await client.bind(this.config.bindDn, this.password);
      return client;
    } catch (e) {
      await client.unbind().catch(() => undefined);
      throw e;
    }
  }

  /** Runs `fn` on the shared client; any failure comes out as a ConnectorError saying `context`. */
  async withClient<T>(context: string, fn: (c: Client) => Promise<T>): Promise<T> {
    try {
      this.main ??= this.openBoundClient();
      let client: Client;
      try {
        client = await this.main;
      } catch (e) {
        this.main = undefined;
        throw e;
      }
      return await this.withDeadline(fn(client), 2 * this.timeoutMs, context);
    } catch (e) {
      if (isLdapCommunicationError(e) || (isConnectorError(e) && e.kind === 'communication')) this.discardMain();
      throw this.fail(e, context);
    }
  }

  /**
   * withClient for work that runs a paged search on the shared client: one at a time, since the server keeps
   * one paging state per connection (a second paged search makes the first one's cookie invalid).
   */
  async withPagedSearch<T>(context: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const turn = this.pagedSearches.then(() => this.withClient(context, fn));
    this.pagedSearches = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    const p = this.main;
    this.main = undefined;
    if (p) await p.then((c) => c.unbind()).catch(() => undefined);
  }

  private discardMain(): void {
    const p = this.main;
    this.main = undefined;
    void p?.then((c) => c.unbind()).catch(() => undefined);
  }

  /**
   * ldapts can leave an operation waiting forever on a connection the server dropped (seen with slapd
   * stopped while several operations were in flight): past the deadline it is a communication failure.
   */
  private withDeadline<T>(work: Promise<T>, ms: number, context: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ConnectorError('communication', `${context}: no answer from ${this.config.url} within ${ms} ms`)), ms);
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }
}

/** The server answers, the credentials work and the base context exists. */
export async function testLdapConnection(ctx: LdapContext): Promise<void> {
  const { baseContext, url } = ctx.config;
  await ctx.connection.withClient(`test connection to ${url}`, async (c) => {
    try {
      await readByDn(c, anyEntryUnder(baseContext), baseContext, ['1.1']);
    } catch (e) {
      if (e instanceof ConnectorError && e.kind === 'not-found') {
        throw new ConnectorError('configuration', `base context ${baseContext} does not exist`);
      }
      throw e;
    }
  });
}
